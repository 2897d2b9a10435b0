"""What the console's templates show, built from a review: no HTML here, the templates escape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.domain.taxonomy import Taxonomy
from service.review.highlight import Piece, pieces
from service.review.schemas import DecisionOut
from service.review.service import Review
from service.review.state import ReviewedAssertion


@dataclass(frozen=True)
class SourceView:
    """One text of the experience (the narrative or an evidence item), cut into pieces."""

    name: str  # "narrative" or "evidence[i]", as spans name it
    heading: str
    kind: str | None
    author: str | None
    url: str | None
    pieces: list[Piece]


@dataclass(frozen=True)
class AssertionView:
    """One assertion card: its current state, the machine's extras and its history."""

    state: ReviewedAssertion
    machine: dict[str, Any]  # the stored machine assertion ({} for an added one)
    history: list[DecisionOut]
    next_id: str

    @property
    def equivalents(self) -> list[Any]:
        """Crosswalk equivalents, when the stored result has them."""
        value = self.machine.get("equivalents")
        return value if isinstance(value, list) else []


@dataclass(frozen=True)
class ExtractionPage:
    """Everything the extraction page shows."""

    review: Review
    sources: list[SourceView]
    assertions: list[AssertionView]
    quality_indicators: Any
    skill_options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The experience's short fields, labelled."""
        request = self.review.request
        organization = request.get("organization") or {}
        dates = " – ".join(d for d in (request.get("start_date"), request.get("end_date")) if d)
        rows = [("Category", str(request.get("category", "")).replace("_", " ")),
                ("Role", request.get("role")), ("Organization", organization.get("name")),
                ("Dates", dates), ("Hours", request.get("hours")),
                ("Location", request.get("location")), ("Learner", request.get("learner_ref")),
                ("External id", request.get("external_id"))]
        return [(label, _plain(value)) for label, value in rows if value not in (None, "")]


def extraction_page(review: Review, taxonomies: dict[str, Taxonomy]) -> ExtractionPage:
    """Build the extraction page of a review."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for assertion in review.assertions:
        for span in assertion.evidence_spans:
            spans.setdefault(span.source, []).append((span.start, span.end, assertion.id))
    sources = [SourceView("narrative", "Narrative", None, None, None,
                          pieces(review.request["narrative"], spans.get("narrative", [])))]
    for i, item in enumerate(review.request.get("evidence") or []):
        name = f"evidence[{i}]"
        author = item.get("author") or {}
        who = ", ".join(str(v) for v in (author.get("name"), author.get("role"),
                                          author.get("relationship")) if v)
        sources.append(SourceView(name, f"Evidence {i + 1}", item.get("kind"), who or None,
                                  item.get("url"), pieces(item["text"], spans.get(name, []))))
    machine = {a["id"]: a for a in review.result["assertions"]}
    ids = [a.id for a in review.assertions]
    cards = [AssertionView(state=a, machine=machine.get(a.id, {}),
                           history=review.history(a.id),
                           next_id=ids[min(i + 1, len(ids) - 1)])
             for i, a in enumerate(review.assertions)]
    options = [(f"{t}:{item.code}", f"{item.code} · {item.label} ({t})")
               for t in review.frameworks if t in taxonomies
               for item in taxonomies[t].items]
    return ExtractionPage(review=review, sources=sources, assertions=cards,
                          quality_indicators=review.result.get("quality_indicators"),
                          skill_options=options)


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
