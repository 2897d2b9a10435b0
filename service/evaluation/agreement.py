"""A second, independent annotation of a labelled split, and how far its readers agree.

One annotator's labels are one reading of each text. A second reader, labelling blind from the
same guidelines, says how much of the gold is the text and how much is the reader:

- **between annotators**: micro-F1 of one against the other (symmetric: ``2|A∩B| / (|A|+|B|)``),
  the level a system can expect against either one, and Cohen's kappa over every (experience,
  code) yes/no decision, which discounts the agreement chance alone would give;
- **the model against each annotator**, and against their **consensus**: a code both marked is
  gold, a code neither marked is not, and a code only one marked is disputed and left out, as
  the lenient reading leaves out weak labels.

The quality indicators are compared the same way (exact, within one level, mean absolute error).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from service.domain.quality import DIMENSIONS
from service.evaluation import metrics
from service.evaluation.dataset import (
    DatasetError,
    GoldSkill,
    LabelledExperience,
    QualityRatings,
    Strength,
    line_error,
)
from service.evaluation.runner import ExperiencePrediction


class SecondAnnotation(BaseModel):
    """Another reader's labels for one experience of a split, in the gold's shape."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    skills: list[GoldSkill]
    quality: QualityRatings


def load_annotation(path: Path, records: Sequence[LabelledExperience],
                    codes: Mapping[str, Collection[str]]) -> dict[str, SecondAnnotation]:
    """A second annotation of ``records``, validated: one line per record, no other ids, only
    frameworks the record was labelled in, and only their top-level ``codes``."""
    by_id = {r.id: r for r in records}
    annotations: dict[str, SecondAnnotation] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                annotation = SecondAnnotation.model_validate_json(line)
            except ValidationError as exc:
                raise line_error(path, number, exc) from exc
            record = by_id.get(annotation.id)
            if record is None:
                raise DatasetError(f"{path}:{number}: {annotation.id!r} is not in the dataset")
            if annotation.id in annotations:
                raise DatasetError(f"{path}:{number}: {annotation.id!r} is annotated twice")
            stray = {s.framework for s in annotation.skills} - set(
                record.gold.labelled_frameworks)
            if stray:
                raise DatasetError(f"{path}:{number}: {annotation.id!r} labels "
                                   f"{', '.join(sorted(stray))}, which the dataset does not "
                                   "label for this experience")
            unknown = [s.key for s in annotation.skills if s.code not in codes[s.framework]]
            if unknown:
                raise DatasetError(f"{path}:{number}: {', '.join(unknown)}: not a top-level "
                                   "code of its framework")
            annotations[annotation.id] = annotation
    missing = [r.id for r in records if r.id not in annotations]
    if missing:
        raise DatasetError(f"{path}: {len(missing)} experiences are not annotated, e.g. "
                           f"{', '.join(missing[:5])}")
    return annotations


def cohen_kappa(first: Sequence[bool], second: Sequence[bool]) -> float | None:
    """Cohen's kappa of two readers' yes/no decisions; None when chance agreement is total."""
    if len(first) != len(second) or not first:
        raise ValueError("cohen_kappa needs equally long, non-empty decision lists")
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    p_first, p_second = sum(first) / n, sum(second) / n
    chance = p_first * p_second + (1 - p_first) * (1 - p_second)
    return None if chance >= 1.0 else (observed - chance) / (1.0 - chance)


class Reading(BaseModel):
    """One set of labels read against another, pooled over (experience, code) pairs."""

    counts: metrics.Counts
    micro: metrics.Scores


class AnnotatorAgreement(BaseModel):
    """How far the second annotator agrees with the reference, overall or in one framework."""

    labels_reference: int
    labels_second: int
    micro: metrics.Scores  # the second annotator read against the reference as gold
    micro_clear: metrics.Scores  # each annotator's clear labels only
    kappa: float | None
    decisions: int  # (experience, code) pairs the kappa is computed over


class ModelAgreement(BaseModel):
    """A run's asserted codes read against each annotator and against their consensus."""

    vs_reference: Reading
    vs_second: Reading
    vs_consensus: Reading
    disputed: int  # codes only one annotator marked: left out of the consensus reading


class AgreementReport(BaseModel):
    """Everything ``eval agreement`` measures."""

    dataset: str
    annotation: str
    n_experiences: int
    annotators: dict[str, AnnotatorAgreement]  # "all" and each framework
    quality: dict[str, metrics.QualityAgreement]
    model: dict[str, ModelAgreement] | None  # "all" and each framework; None without a run
    run: str | None


Keys = set[str]


def _reading(predicted: Sequence[Keys], gold: Sequence[Keys],
             ignored: Sequence[Keys] | None = None) -> Reading:
    counts = metrics.Counts()
    for n, (pred, true) in enumerate(zip(predicted, gold, strict=True)):
        skip = ignored[n] if ignored is not None else set()
        for c in metrics.label_counts(pred, true, skip).values():
            counts += c
    return Reading(counts=counts, micro=counts.scores())


def _keys(skills: Sequence[GoldSkill], keep: Collection[str] | None, clear_only: bool = False
          ) -> Keys:
    return {s.key for s in skills if (keep is None or s.framework in keep)
            and not (clear_only and s.strength is Strength.WEAK)}


def annotator_agreement(records: Sequence[LabelledExperience],
                        second: Mapping[str, SecondAnnotation],
                        codes: Mapping[str, Sequence[str]],
                        frameworks: Collection[str] | None = None) -> AnnotatorAgreement:
    """The second annotator against the reference gold over ``frameworks`` (default: all).

    ``codes`` lists each framework's top-level codes: the yes/no decisions kappa counts are every
    code of every framework an experience was labelled in.
    """
    reference = [_keys(r.gold.skills, frameworks) for r in records]
    other = [_keys(second[r.id].skills, frameworks) for r in records]
    strict = _reading(other, reference)
    clear = _reading([_keys(second[r.id].skills, frameworks, True) for r in records],
                     [_keys(r.gold.skills, frameworks, True) for r in records])
    first_says, second_says = [], []
    for r, ref, sec in zip(records, reference, other, strict=True):
        for framework in r.gold.labelled_frameworks:
            if frameworks is not None and framework not in frameworks:
                continue
            for code in codes[framework]:
                key = f"{framework}:{code}"
                first_says.append(key in ref)
                second_says.append(key in sec)
    return AnnotatorAgreement(
        labels_reference=sum(map(len, reference)), labels_second=sum(map(len, other)),
        micro=strict.micro, micro_clear=clear.micro,
        kappa=cohen_kappa(first_says, second_says) if first_says else None,
        decisions=len(first_says))


def model_agreement(records: Sequence[LabelledExperience],
                    second: Mapping[str, SecondAnnotation],
                    predictions: Mapping[str, ExperiencePrediction],
                    frameworks: Collection[str] | None = None) -> ModelAgreement:
    """The run's asserted codes against the reference, the second annotator and their consensus."""
    asserted = [{c.key for c in predictions[r.id].candidates
                 if c.asserted and (frameworks is None or c.framework in frameworks)}
                for r in records]
    reference = [_keys(r.gold.skills, frameworks) for r in records]
    other = [_keys(second[r.id].skills, frameworks) for r in records]
    consensus = [a & b for a, b in zip(reference, other, strict=True)]
    disputed = [a ^ b for a, b in zip(reference, other, strict=True)]
    return ModelAgreement(vs_reference=_reading(asserted, reference),
                          vs_second=_reading(asserted, other),
                          vs_consensus=_reading(asserted, consensus, disputed),
                          disputed=sum(map(len, disputed)))


def quality_agreement(records: Sequence[LabelledExperience],
                      second: Mapping[str, SecondAnnotation]
                      ) -> dict[str, metrics.QualityAgreement]:
    """The two annotators' quality-indicator levels, per indicator."""
    return {name: metrics.quality_agreement(
                [getattr(r.gold.quality, name) for r in records],
                [getattr(second[r.id].quality, name) for r in records])
            for name in DIMENSIONS}


def agreement_report(dataset: str, annotation: str, records: Sequence[LabelledExperience],
                     second: Mapping[str, SecondAnnotation], codes: Mapping[str, Sequence[str]],
                     predictions: Sequence[ExperiencePrediction] | None = None,
                     run: str | None = None) -> AgreementReport:
    """Annotator agreement overall and per framework, and the run's, when one is given."""
    frameworks = list(dict.fromkeys(f for r in records for f in r.gold.labelled_frameworks))
    slices: list[tuple[str, Collection[str] | None]] = [
        ("all", None), *((f, {f}) for f in frameworks)]
    model = None
    if predictions is not None:
        by_id = {p.id: p for p in predictions}
        absent = [r.id for r in records if r.id not in by_id]
        if absent:
            raise DatasetError(f"the run has no prediction for {len(absent)} experiences of the "
                               f"dataset, e.g. {', '.join(absent[:5])}: run it on the same file")
        model = {name: model_agreement(records, second, by_id, keep) for name, keep in slices}
    return AgreementReport(
        dataset=dataset, annotation=annotation, n_experiences=len(records),
        annotators={name: annotator_agreement(records, second, codes, keep)
                    for name, keep in slices},
        quality=quality_agreement(records, second), model=model, run=run)
