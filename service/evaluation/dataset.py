"""Labelled experiences: the API's input shape plus the gold skills a reader found in it."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.domain.experience import Experience
from service.domain.taxonomy import Taxonomy


class Strength(StrEnum):
    """How plainly the text shows a gold skill."""

    CLEAR = "clear"
    WEAK = "weak"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldSkill(_Strict):
    """One top-level code of a labelled framework that the experience shows."""

    framework: str
    code: str
    strength: Strength

    @property
    def key(self) -> str:
        """``framework:code``, the unit every metric counts."""
        return f"{self.framework}:{self.code}"


class QualityRatings(_Strict):
    """The three quality indicators, 1-4."""

    responsibility: int = Field(ge=1, le=4)
    complexity: int = Field(ge=1, le=4)
    novelty: int = Field(ge=1, le=4)


class Gold(_Strict):
    """Exhaustive labels for each framework in ``labelled_frameworks``."""

    labelled_frameworks: list[str] = Field(min_length=1)
    skills: list[GoldSkill]
    quality: QualityRatings
    tags: list[str] = Field(default_factory=list)


class LabelledExperience(_Strict):
    """One line of a dataset file."""

    id: str
    split: str
    experience: Experience
    gold: Gold


class DatasetError(ValueError):
    """A dataset file that cannot be evaluated, with the line at fault."""


def load_dataset(path: Path, limit: int | None = None) -> list[LabelledExperience]:
    """Every record of a JSONL file (the first ``limit`` when given), validated."""
    records: list[LabelledExperience] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if limit is not None and len(records) >= limit:
                break
            if not line.strip():
                continue
            try:
                records.append(LabelledExperience.model_validate_json(line))
            except ValidationError as exc:
                raise line_error(path, number, exc) from exc
    if not records:
        raise DatasetError(f"{path}: no records")
    return records


def line_error(path: Path, number: int, exc: ValidationError) -> DatasetError:
    """A record that failed validation, named by file, line and the first field at fault."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return DatasetError(f"{path}:{number}: {loc}: {first['msg']}")


def file_hash(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes, recorded so a run names exactly what it read."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def check_gold_codes(records: list[LabelledExperience],
                     taxonomies: dict[str, Taxonomy]) -> list[str]:
    """Problems with gold labels: unknown frameworks, and codes that are not top-level items."""
    top_level = {t.id: {i.code for i in t.items if i.parent is None} for t in taxonomies.values()}
    problems = []
    for record in records:
        for framework in record.gold.labelled_frameworks:
            if framework not in top_level:
                problems.append(f"{record.id}: framework '{framework}' is not installed")
        for skill in record.gold.skills:
            if skill.framework not in record.gold.labelled_frameworks:
                problems.append(f"{record.id}: {skill.key} is outside labelled_frameworks")
            elif skill.code not in top_level.get(skill.framework, set()):
                problems.append(f"{record.id}: {skill.key} is not a top-level code")
    return problems
