"""Reviewed extractions as labelled data, in the eval dataset's record format.

One record per experience (see eval/datasets/experiences-v1/DATASHEET.md):
``{"id", "split", "experience", "gold": {"labelled_frameworks", "skills", "quality"}}``. The
reviewer's decisions are the gold: every skill review keeps, rolled up to its framework's
top-level item as the dataset labels them, each "clear"; quality is not reviewed yet (null).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from service.domain.taxonomy import Taxonomy
from service.review.state import ReviewedAssertion


def top_level_code(taxonomy: Taxonomy | None, identifier: str, code: str) -> str:
    """The code of the item's top-level ancestor (itself if it has no parent)."""
    if taxonomy is None or identifier not in taxonomy.by_identifier:
        return code
    return taxonomy.root_of(identifier).code


def labelled_record(extraction_id: str, split: str, request: Mapping[str, Any],
                    frameworks: list[str], state: Iterable[ReviewedAssertion],
                    taxonomies: Mapping[str, Taxonomy]) -> dict[str, Any]:
    """One eval record: the stored experience (without options) and the reviewed skills."""
    experience = {key: value for key, value in request.items() if key != "options"}
    skills = sorted({
        (a.skill.framework,
         top_level_code(taxonomies.get(a.skill.framework), a.skill.id, a.skill.code))
        for a in state if a.is_asserted
    })
    return {
        "id": extraction_id,
        "split": split,
        "experience": experience,
        "gold": {
            # The reviewer saw every skill the extraction searched for in these frameworks.
            "labelled_frameworks": frameworks,
            "skills": [{"framework": f, "code": c, "strength": "clear"} for f, c in skills],
            "quality": None,
        },
    }
