"""The profile aggregation rule, on hand-built supports."""

from __future__ import annotations

from dataclasses import replace

from service.profiles.aggregate import (
    SELF_CAP,
    Skill,
    Support,
    aggregate_confidence,
    build_profile,
    category_shares,
    coverage,
    level,
    source_weight,
)

CLUSTER = Skill("id-cluster", "career-clusters-2024", "010100", "Agriculture")
SUB = Skill("id-sub", "career-clusters-2024", "010101", "Animal systems", parent="id-cluster")
OTHER_SUB = Skill("id-sub2", "career-clusters-2024", "010102", "Plant systems",
                  parent="id-cluster")
ITEMS = {s.identifier: s for s in (CLUSTER, SUB, OTHER_SUB)}

SUPERVISOR = source_weight("endorsement", "supervisor")
REFLECTION = source_weight("reflection", "self")


def support(n: int, *, skill: Skill = SUB, category: str = "employment",
            organisation: str | None = None, weight: float = SUPERVISOR, score: float = 0.7,
            reviewed: bool = True, quality: float | None = None) -> Support:
    return Support(extraction_id=f"e{n}", assertion_id=f"a{n}", skill=skill, category=category,
                   organisation=organisation, reviewed=reviewed, score=score,
                   confidence="medium", source_weight=weight, quality=quality)


def test_source_weights_rank_third_parties_over_the_learner() -> None:
    assert SUPERVISOR == source_weight("assessment", None) == 1.0
    assert source_weight("artifact", None) > source_weight(None, None) > REFLECTION
    assert source_weight("endorsement", "self") == REFLECTION


def test_one_supervisor_endorsement_outweighs_many_self_reflections() -> None:
    endorsed = aggregate_confidence([support(1, weight=SUPERVISOR)])
    reflections = [support(i, weight=REFLECTION, score=0.9, category=c)
                   for i, c in enumerate(["employment", "service", "course", "independent",
                                          "civic_engagement", "extracurricular"] * 2)]
    reflected = aggregate_confidence(reflections)
    assert endorsed > reflected
    # However many, self-reported evidence alone never reaches high.
    assert level(reflected) != "high"
    assert reflected < SELF_CAP + (1 - SELF_CAP) * 0.15


def test_several_contexts_count_more_than_one() -> None:
    same = [support(i, organisation="food bank", category="service") for i in range(3)]
    varied = [support(0, organisation="food bank", category="service"),
              support(1, organisation="library", category="employment"),
              support(2, organisation="robotics club", category="extracurricular")]
    one = aggregate_confidence(same[:1])
    assert one < aggregate_confidence(same) < aggregate_confidence(varied)
    profile = build_profile(varied, ITEMS)
    sub = next(p for p in profile if p.skill == SUB)
    assert (sub.categories, sub.organisations) == (3, 3)


def test_reviewed_evidence_weighs_more_than_unreviewed() -> None:
    assert (aggregate_confidence([support(1, reviewed=True)])
            > aggregate_confidence([support(1, reviewed=False)]))


def test_quality_indicators_add_a_bonus() -> None:
    plain = aggregate_confidence([support(1)])
    assert aggregate_confidence([support(1, quality=1.0)]) == plain
    assert aggregate_confidence([support(1, quality=4.0)]) > plain


def test_a_reviewer_level_stands_in_for_a_missing_score() -> None:
    high = replace(support(1), score=None, confidence="high")
    low = replace(support(1), score=None, confidence="low")
    assert aggregate_confidence([high]) > aggregate_confidence([low])


def test_children_roll_up_to_their_parent_once_per_experience() -> None:
    supports = [support(1, skill=SUB), support(1, skill=OTHER_SUB, score=0.5),
                support(2, skill=OTHER_SUB, category="service")]
    profile = {p.skill.code: p for p in build_profile(supports, ITEMS)}
    cluster = profile["010100"]
    assert not cluster.direct and cluster.rolled_up_from == ("010101", "010102")
    assert [s.extraction_id for s in cluster.supports] == ["e1", "e2"]
    assert cluster.supports[0].skill == SUB  # e1's strongest assertion counts for it
    assert profile["010101"].direct
    assert cluster.confidence >= profile["010102"].confidence


def test_coverage_names_missing_items_and_where_they_usually_show() -> None:
    profile = build_profile([support(1, skill=SUB)], ITEMS)
    shares = category_shares([("x1", "service", OTHER_SUB), ("x2", "service", OTHER_SUB),
                              ("x3", "course", OTHER_SUB), ("x4", "course", SUB)],
                             {"service": 2, "course": 4}, ITEMS)
    assert shares["id-sub2"] == {"service": 1.0, "course": 0.25}
    assert shares["id-cluster"] == {"service": 1.0, "course": 0.5}
    items = {i.skill.code: i for i in coverage([CLUSTER, SUB, OTHER_SUB], profile, shares)}
    assert items["010101"].profile is not None and items["010100"].profile is not None
    missing = items["010102"]
    assert missing.profile is None
    assert missing.typical_categories == (("service", 1.0), ("course", 0.25))


def test_an_experiences_own_assertion_of_a_parent_wins_over_its_children() -> None:
    supports = [support(1, skill=CLUSTER, score=0.4), support(1, skill=SUB, score=0.9)]
    cluster = next(p for p in build_profile(supports, ITEMS) if p.skill == CLUSTER)
    assert cluster.direct and [s.skill for s in cluster.supports] == [CLUSTER]
