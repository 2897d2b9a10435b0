"""Fit the quality-indicator model and the calibration model on a labelled split.

Logistic models and an isotonic score map fitted with scikit-learn and saved as plain JSON, so
serving needs only numpy. The map and the thresholds are chosen on 5-fold out-of-fold
predictions, never on in-sample scores.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from tqdm import tqdm

from service.calibration.out_of_fold import (
    RollUpKey,
    experience_folds,
    fit_score_maps,
    readings,
    roll_up,
    rolled_rows,
)
from service.calibration.text_probe import (
    FrameworkExample,
    TextProbeFit,
    fit_text_probe,
)
from service.calibration.text_probe_settings import TextProbeSettings
from service.domain.quality import DIMENSIONS, LEVELS
from service.domain.taxonomy import Taxonomy
from service.evaluation.dataset import LabelledExperience
from service.inference.text_probe import Backbone, EncoderTextProbe
from service.pipeline.calibrate import (
    FEATURES,
    CalibrationModel,
    LogisticCalibrator,
    Thresholds,
    evidence_features,
)
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.prior import (
    ExperiencePrior,
    FrameworkProbe,
    Lexicon,
    TextProbeFile,
    experience_text,
    experience_vector,
)
from service.pipeline.quality import (
    QualityEstimator,
    QualityModel,
    Rubric,
    WordProbe,
    model_feature_names,
)
from service.pipeline.retrieve import SentenceQueries, SkillIndex
from service.pipeline.segment import Segment

MIN_POSITIVES = 25  # below this a framework uses the pooled calibrator
MIN_MAP_POSITIVES = 60  # labelled codes below this: the framework shares the pooled score map


@dataclass
class _Prepared:
    record: LabelledExperience
    segments: list[Segment]
    queries: SentenceQueries  # the segments and their clauses, embedded as the API does

    @property
    def sentence_vectors(self) -> Vectors:
        """The segments' own vectors (without their clauses')."""
        return self.queries.vectors


@dataclass
class FitReport:
    """What was fitted, on what, and how well it did out of fold."""

    quality_model: QualityModel
    calibration: CalibrationModel
    prior: ExperiencePrior  # names the text probe when one was fitted
    text_probe: EncoderTextProbe | None
    summary: dict[str, Any]


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


QUALITY_C = 0.3  # inverse L2 strength of the quality model per dimension
WORD_PROBE_C = 3.0  # the same for the quality word probes (chosen on dev, out of fold, and
# validation)


def _four_levels(model: LogisticRegression, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """A fitted multinomial model's weights as rows for levels 1..4; a level never seen in
    training gets an intercept so low it is never predicted."""
    coef, intercept = np.zeros((4, n_features)), np.full(4, -1e3)
    classes = [int(c) for c in model.classes_]
    if len(classes) == 2:  # scikit-learn keeps one row: the second class against the first
        coef[classes[1] - 1], intercept[classes[1] - 1] = model.coef_[0], model.intercept_[0]
        intercept[classes[0] - 1] = 0.0
        return coef, intercept
    for row, level in enumerate(classes):
        coef[level - 1], intercept[level - 1] = model.coef_[row], model.intercept_[row]
    return coef, intercept


def _word_probe(words: np.ndarray, y: np.ndarray) -> WordProbe:
    """A dimension's multinomial probe over term weights (the observed rates where it cannot
    be fitted: one level only, or no vocabulary)."""
    if len(set(y.tolist())) < 2 or words.shape[1] == 0:
        rates = np.asarray([(np.sum(y == level) + 0.5) / (len(y) + 2.0) for level in LEVELS])
        return WordProbe(np.zeros((4, words.shape[1])), np.log(rates))
    model = LogisticRegression(C=WORD_PROBE_C, max_iter=5000).fit(words, y)
    return WordProbe(*_four_levels(model, words.shape[1]))


def _out_of_fold_word_probabilities(words: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each experience's P(level) from a word probe fitted without it (5 folds)."""
    out = np.zeros((len(y), 4))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=3)
    for train, held in folds.split(words, y):
        probe = _word_probe(words[train], y[train])
        out[held] = [probe.probabilities(w) for w in words[held]]
    return out


def fit_quality(prepared: Sequence[_Prepared], rubric: Rubric, version: str, trained_on: str
                ) -> tuple[QualityModel, dict[str, dict[int, int]], dict[str, float]]:
    """Multinomial logistic model per dimension; returns out-of-fold levels and accuracy.

    Each dimension's model reads the estimator's features and its word probe's probabilities;
    it is fitted on out-of-fold probe probabilities (stacking), so it learns what an honest
    probe is worth, and serves with the probe fitted on every experience.
    """
    estimator = QualityEstimator(rubric)
    x = np.stack([estimator.features(p.record.experience, p.segments, p.sentence_vectors)[0]
                  for p in prepared])
    texts = [experience_text(p.segments) for p in prepared]
    lexicon = fit_lexicon(texts)
    words = (np.stack([lexicon.vector(t) for t in texts]) if texts
             else np.zeros((0, len(lexicon.terms))))
    coef, intercept, mean, scale, probes = {}, {}, {}, {}, {}
    oof_levels, accuracy = {}, {}
    for d in DIMENSIONS:
        y = np.asarray([getattr(p.record.gold.quality, d) for p in prepared])
        probes[d] = _word_probe(words, y)
        xd = np.hstack([x, _out_of_fold_word_probabilities(words, y)])
        mean[d], scale[d] = _standardise(xd)
        xs = (xd - mean[d]) / scale[d]
        model = LogisticRegression(C=QUALITY_C, max_iter=5000)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
        oof = cross_val_predict(model, xs, y, cv=folds)
        model.fit(xs, y)
        coef[d], intercept[d] = _four_levels(model, xs.shape[1])
        oof_levels[d] = {i: int(level) for i, level in enumerate(oof)}
        accuracy[d] = round(float(np.mean(oof == y)), 3)
        accuracy[f"{d}_within_one"] = round(float(np.mean(np.abs(oof - y) <= 1)), 3)
    return (QualityModel(version=version, feature_names=model_feature_names(),
                         coef=coef, intercept=intercept, mean=mean, scale=scale,
                         lexicon=lexicon, word_probes=probes, trained_on=trained_on),
            oof_levels, accuracy)


PRIOR_C = 10.0  # inverse L2 strength of the competency probes (chosen on dev, out of fold)
LEXICAL_C = 3.0  # the same for the probes over words (chosen on dev, out of fold, and validation)
LEXICON_MIN_DF = 2  # a word enters the lexicon when at least this many experiences use it
MIN_PROBE_POSITIVES = 3  # below this a competency's prior is its observed rate


def fit_lexicon(texts: Sequence[str]) -> Lexicon:
    """Vocabulary and idf of the experiences' words (English stop words left out)."""
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=LEXICON_MIN_DF, stop_words="english")
    try:
        vectorizer.fit(texts)
    except ValueError:  # no word used twice: an empty lexicon, every lexical probe a rate
        return Lexicon((), np.zeros(0))
    return Lexicon(tuple(str(t) for t in vectorizer.get_feature_names_out()),
                   np.asarray(vectorizer.idf_, dtype=np.float64))


def _probe(x: np.ndarray, labelled: list[set[str]], codes: Sequence[str], c: float = PRIOR_C
           ) -> FrameworkProbe:
    """Logistic probes of one framework's competencies over experience vectors."""
    coef = np.zeros((len(codes), x.shape[1]))
    intercept = np.zeros(len(codes))
    for row, code in enumerate(codes):
        y = np.asarray([code in gold for gold in labelled], dtype=int)
        positives = int(y.sum())
        if positives < MIN_PROBE_POSITIVES or positives == len(y) or x.shape[1] == 0:
            rate = (positives + 0.5) / (len(y) + 1.0)
            intercept[row] = float(np.log(rate / (1.0 - rate)))
            continue
        model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        coef[row], intercept[row] = model.coef_[0], float(model.intercept_[0])
    return FrameworkProbe(tuple(codes), coef, intercept)


@dataclass
class _PriorInputs:
    """One framework's labelled experiences as both probes read them."""

    vectors: np.ndarray  # experience_vector of each
    texts: list[str]  # experience_text of each
    labelled: list[set[str]]  # its gold codes in the framework

    def fit(self, rows: Sequence[int] | np.ndarray, framework: str, codes: Sequence[str],
            lexicon: Lexicon | None = None, **identity: Any) -> ExperiencePrior:
        """A prior for this one framework, fitted on ``rows`` (the lexicon too, unless given)."""
        texts = [self.texts[i] for i in rows]
        labelled = [self.labelled[i] for i in rows]
        lexicon = lexicon or fit_lexicon(texts)
        words = (np.stack([lexicon.vector(t) for t in texts]) if texts
                 else np.zeros((0, len(lexicon.terms))))
        return ExperiencePrior(
            **identity, dimension=self.vectors.shape[1],
            probes={framework: _probe(self.vectors[rows], labelled, codes)},
            lexicon=lexicon, lexical_probes={framework: _probe(words, labelled, codes, LEXICAL_C)})


@dataclass(frozen=True)
class TextProbeRequest:
    """Fit the prior's text probe too, on this encoder, with these settings."""

    backbone: Backbone
    settings: TextProbeSettings = field(default_factory=TextProbeSettings)


@dataclass
class FittedPrior:
    """The prior, its out-of-fold readings for calibration, and its text probe if fitted."""

    prior: ExperiencePrior
    out_of_fold: dict[int, dict[str, dict[str, float]]]
    text_probe: EncoderTextProbe | None = None


def fit_prior(prepared: Sequence[_Prepared], indexes: Mapping[str, SkillIndex], model_id: str,
              version: str, trained_on: str, text_probe: TextProbeRequest | None = None,
              progress: bool = False) -> FittedPrior:
    """The competency probes on every experience, and out-of-fold priors for calibration.

    Returns the fitted prior and, per experience number and framework, the priors predicted by
    probes that never saw that experience (5 folds; the lexicon, too, learned without it), so
    the calibrator learns how much an honest prior is worth rather than trusting an in-sample
    one. With ``text_probe`` the encoder's upper layers are fine-tuned as a third reader
    (``service/calibration/text_probe.py``), out of fold in the same way; the returned prior
    names it and has it attached, and the caller saves it beside the prior.
    """
    vectors = [experience_vector(p.sentence_vectors) for p in prepared]
    texts = [experience_text(p.segments) for p in prepared]
    dimension = next(len(v) for v in vectors if v is not None)
    identity: dict[str, Any] = {"version": version, "trained_on": trained_on,
                                "model_id": model_id}
    lexicon = fit_lexicon([t for t, v in zip(texts, vectors, strict=True) if v is not None])
    frameworks = sorted({f for p in prepared for f in p.record.gold.labelled_frameworks})
    all_codes = {f: sorted({item.code for item in indexes[f].taxonomy.items
                            if item.parent is None}) for f in frameworks}
    fitted_text: TextProbeFit | None = None
    reference: TextProbeFile | None = None
    if text_probe is not None:
        readable = [n for n, v in enumerate(vectors) if v is not None]
        fitted_text = fit_text_probe(
            text_probe.backbone, [texts[n] for n in readable],
            [{f: {g.code for g in prepared[n].record.gold.skills if g.framework == f}
              for f in prepared[n].record.gold.labelled_frameworks} for n in readable],
            all_codes, version, model_id, text_probe.settings, progress,
            framework_examples(indexes[f].taxonomy for f in frameworks))
        text_oof = dict(zip(readable, fitted_text.out_of_fold, strict=True))
        # the fold priors weigh the out-of-fold text logits as the served prior will
        reference = TextProbeFile(text_probe_file(model_id), fitted_text.probe.sha256(),
                                  text_probe.settings.weight)
    probes: dict[str, FrameworkProbe] = {}
    lexical_probes: dict[str, FrameworkProbe] = {}
    oof: dict[int, dict[str, dict[str, float]]] = {n: {} for n in range(len(prepared))}
    for framework in frameworks:
        members = [n for n, p in enumerate(prepared)
                   if framework in p.record.gold.labelled_frameworks and vectors[n] is not None]
        codes = all_codes[framework]
        inputs = _PriorInputs(
            np.stack([vectors[n] for n in members]),  # type: ignore[misc]
            [texts[n] for n in members],
            [{g.code for g in prepared[n].record.gold.skills if g.framework == framework}
             for n in members])
        whole = inputs.fit(range(len(members)), framework, codes, lexicon, **identity)
        probes[framework] = whole.probes[framework]
        lexical_probes[framework] = whole.lexical_probes[framework]
        for train, held in KFold(n_splits=5, shuffle=True, random_state=5).split(members):
            fold = inputs.fit(train, framework, codes, text_probe=reference, **identity)
            for i in held:
                oof[members[i]][framework] = fold.for_framework(  # type: ignore[assignment]
                    framework, inputs.vectors[i], inputs.texts[i],
                    text_oof[members[i]] if fitted_text is not None else None)
    notes: dict[str, Any] = {"C": PRIOR_C, "lexical_C": LEXICAL_C,
                             "lexicon_min_df": LEXICON_MIN_DF,
                             "lexicon_terms": len(lexicon.terms),
                             "min_probe_positives": MIN_PROBE_POSITIVES}
    if text_probe is not None and reference is not None:
        notes["text_probe"] = {"frozen_layers": text_probe.settings.frozen,
                               "epochs": text_probe.settings.epochs,
                               "folds": text_probe.settings.folds,
                               "weight": round(text_probe.settings.weight, 4),
                               "taxonomy_weight": text_probe.settings.taxonomy_weight,
                               "heads": list(text_probe.settings.heads)}
    prior = ExperiencePrior(version=version, trained_on=trained_on, model_id=model_id,
                            dimension=dimension, probes=probes, lexicon=lexicon,
                            lexical_probes=lexical_probes, notes=notes, text_probe=reference)
    if fitted_text is not None:
        prior = prior.with_reader(fitted_text.probe)
    return FittedPrior(prior, oof, fitted_text.probe if fitted_text is not None else None)


def framework_examples(taxonomies: Iterable[Taxonomy]) -> list[FrameworkExample]:
    """What each framework itself says its competencies look like: every item's description
    and observable keywords (our own words, see taxonomies/AUTHORING.md), each showing the
    competency the item belongs to."""
    out = []
    for taxonomy in taxonomies:
        for item in taxonomy.items:
            code = taxonomy.root_of(item.identifier).code
            out += [FrameworkExample(text, taxonomy.id, code)
                    for text in (item.description, *item.keywords) if text and text.strip()]
    return out


def text_probe_file(model_id: str) -> str:
    """The text probe's file name in ``models/calibration``, beside ``prior-<model>.json``."""
    return f"prior-text-probe-{model_id}.safetensors"


def _candidates(pipeline: ExtractionPipeline, prepared: Sequence[_Prepared],
                indexes: Mapping[str, SkillIndex], levels: dict[str, dict[int, int]],
                priors: dict[int, dict[str, dict[str, float]]], progress: bool = False
                ) -> dict[str, list[tuple[int, str, np.ndarray, int]]]:
    """Per framework: (experience number, root code, features, label) for every candidate."""
    rows: dict[str, list[tuple[int, str, np.ndarray, int]]] = {}
    for n, p in enumerate(tqdm(prepared, desc="retrieving candidates", unit="exp",
                               file=sys.stderr, disable=not progress)):
        gold = {(g.framework, g.code) for g in p.record.gold.skills}
        quality = {d: levels[d][n] for d in DIMENSIONS}
        for framework in p.record.gold.labelled_frameworks:
            index = indexes[framework]
            for skill, context in pipeline.candidates(p.record.experience, p.segments,
                                                      p.queries, index, quality,
                                                      priors[n].get(framework, {})):
                root = index.taxonomy.root_of(skill.item.identifier).code
                rows.setdefault(framework, []).append(
                    (n, root, evidence_features(skill, context), int((framework, root) in gold)))
    return rows


def _operating_floor(keys: Sequence[RollUpKey], probs: np.ndarray, labels: np.ndarray,
                gold_count: int) -> float:
    """The floor for calibrated probabilities: half the best F1 they can reach.

    With calibrated probabilities the F1-optimal threshold is F1* / 2 (Lipton, Elkan and
    Narayanaswamy, 2014): asserting a code with probability p adds to F1 exactly when p > F1* / 2.
    The best F1 is found by sweeping the threshold over the rolled-up (experience, root code)
    probabilities; the floor is then read off the best F1, a stable number, instead of from the
    argmax of a flat F1 curve, which moves with a handful of records.
    """
    best = roll_up(keys, probs)
    scored = sorted(((float(probs[r]), int(labels[r])) for r in best.values()),
                    key=lambda v: -v[0])
    best_f1, tp = 0.0, 0
    for k, (_, y) in enumerate(scored, start=1):
        tp += y
        precision, recall = tp / k, tp / max(gold_count, 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        best_f1 = max(best_f1, f1)
    return best_f1 / 2


def _logistic(x: np.ndarray, labels: np.ndarray) -> LogisticCalibrator:
    mean, scale = _standardise(x)
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, labels)
    return LogisticCalibrator(model.coef_[0].copy(), float(model.intercept_[0]), mean, scale)


def _out_of_fold_logits(x: np.ndarray, labels: np.ndarray, rows: np.ndarray,
                        folds: Sequence[np.ndarray]) -> np.ndarray:
    """Logits of ``rows``, each from a model fitted on the other folds' rows."""
    logits = np.zeros(len(labels))
    for test in folds:
        held_out = np.intersect1d(test, rows)
        train = np.setdiff1d(rows, test)
        if len(held_out):
            model = _logistic(x[train], labels[train])
            logits[held_out] = [model.logit(v) for v in x[held_out]]
    return logits


def fit_calibration(pipeline: ExtractionPipeline, prepared: Sequence[_Prepared],
                    indexes: Mapping[str, SkillIndex], levels: dict[str, dict[int, int]],
                    model_id: str, version: str, trained_on: str,
                    priors: dict[int, dict[str, dict[str, float]]] | None = None,
                    progress: bool = False) -> tuple[CalibrationModel, dict[str, Any]]:
    """Per-framework logistic calibrators and score maps (pooled fallbacks), F1-optimal floors.

    Every choice is made on out-of-fold predictions (5 folds of whole experiences): the score
    maps are fitted on out-of-fold logits, the floors on the map's output, and the readings in
    the report use a map cross-fitted on the other folds too. The pooled calibrator, map and
    thresholds serve frameworks nobody labelled, which have no prior: the calibrator is fitted
    with the prior feature held at zero, so it gives the prior no weight, and its map and
    floor are chosen on its own out-of-fold logits.
    """
    by_framework = _candidates(pipeline, prepared, indexes, levels,
                               priors or {n: {} for n in range(len(prepared))}, progress)
    gold_counts: dict[str, int] = {}
    for p in prepared:
        for g in p.record.gold.skills:
            gold_counts[g.framework] = gold_counts.get(g.framework, 0) + 1
    flat = [(fw, *row) for fw in sorted(by_framework) for row in by_framework[fw]]
    keys: list[RollUpKey] = [(fw, n, root) for fw, n, root, _, _ in flat]
    frameworks = np.asarray([r[0] for r in flat])
    x = np.stack([r[3] for r in flat])
    labels = np.asarray([r[4] for r in flat])
    folds = experience_folds([r[1] for r in flat], n_splits=5, seed=11)

    pooled_rows = np.arange(len(flat))
    x_pooled = x.copy()
    x_pooled[:, FEATURES.index("experience_prior")] = 0.0
    calibrators = {CalibrationModel.POOLED: _logistic(x_pooled, labels)}
    pooled_logits = _out_of_fold_logits(x_pooled, labels, pooled_rows, folds)
    own_logits = pooled_logits.copy()
    report: dict[str, Any] = {}
    for fw in sorted(by_framework):
        rows = np.flatnonzero(frameworks == fw)
        positives = int(labels[rows].sum())
        report[fw] = {"calibrator": "pooled", "candidates": len(rows), "positives": positives}
        if positives < MIN_POSITIVES:
            continue
        calibrators[fw] = _logistic(x[rows], labels[rows])
        own_logits[rows] = _out_of_fold_logits(x, labels, rows, folds)[rows]

    fitted = fit_score_maps(keys, pooled_logits, own_logits, labels, folds,
                            eligible=set(calibrators) - {CalibrationModel.POOLED},
                            min_positives=MIN_MAP_POSITIVES)
    # A framework serves with its own calibrator only through its own map: one without enough
    # labelled codes for a map is served wholly by the pooled calibrator and map.
    calibrators = {fw: c for fw, c in calibrators.items()
                   if fw == CalibrationModel.POOLED or fw in fitted.maps}
    served_logits = pooled_logits.copy()
    for fw in set(calibrators) - {CalibrationModel.POOLED}:
        rows = np.flatnonzero(frameworks == fw)
        served_logits[rows] = own_logits[rows]
        report[fw] |= {"calibrator": "own", "score_map": {"knots": len(fitted.maps[fw].knots)},
                       "weights": dict(zip(FEATURES, np.round(calibrators[fw].coef, 3).tolist(),
                                           strict=True))}
    mapped = np.asarray([fitted.probability(fw, z)
                         for fw, z in zip(frameworks, served_logits, strict=True)])
    pooled_map = fitted.maps[CalibrationModel.POOLED]
    pooled_mapped = np.asarray([pooled_map.probability(z) for z in pooled_logits])

    thresholds: dict[str, Thresholds] = {}
    floors: dict[str, float] = {}
    # The pooled thresholds serve frameworks nobody labelled: chosen on the pooled calibrator
    # and map over every labelled framework, the closest stand-in for an unlabelled one.
    for name in [CalibrationModel.POOLED, *sorted(by_framework)]:
        pooled = name == CalibrationModel.POOLED
        rows = pooled_rows if pooled else np.flatnonzero(frameworks == name)
        gold = sum(gold_counts.values()) if pooled else gold_counts.get(name, 0)
        subset = [keys[r] for r in rows]
        floor = _operating_floor(subset, (pooled_mapped if pooled else mapped)[rows], labels[rows],
                            gold)
        floor = round(float(np.clip(floor, 0.15, 0.6)), 3)
        medium = round(max(floor + 0.1, 0.5), 3)
        thresholds[name] = Thresholds(floor=floor, medium=medium,
                                      high=round(max(medium + 0.15, 0.7), 3))
        if pooled:
            continue
        floors[name] = floor
        report[name] |= {
            "thresholds": vars(thresholds[name]),
            "out_of_fold": readings(subset, fitted.cross_fitted[rows], labels[rows],
                                    {name: floor}, gold).rounded()}
    report["out_of_fold"] = readings(keys, fitted.cross_fitted, labels, floors,
                                     sum(gold_counts.values())).rounded()
    # What a framework nobody labelled gets: the pooled calibrator, map and thresholds, read
    # out of fold on the labelled frameworks.
    pooled_floor = thresholds[CalibrationModel.POOLED].floor
    report["pooled_out_of_fold"] = readings(
        keys, fitted.pooled_cross_fitted, labels, dict.fromkeys(by_framework, pooled_floor),
        sum(gold_counts.values())).rounded()
    report["score_map"] = {"knots": len(pooled_map.knots),
                           "fitted_on_codes": len(rolled_rows(keys, pooled_logits))}
    model = CalibrationModel(version=version, trained_on=trained_on, model_id=model_id,
                             calibrators=calibrators, score_maps=fitted.maps,
                             thresholds=thresholds, notes={"report": report})
    return model, report


def fit_all(records: Sequence[LabelledExperience], embedder: Embedder,
            indexes: Mapping[str, SkillIndex], rubric: Rubric, dataset_hash: str,
            progress: bool = False, text_probe: TextProbeRequest | None = None) -> FitReport:
    """Fit the three artefacts on ``records`` (the dev split), and the prior's text probe when
    asked; ``progress`` draws a bar on stderr over the slow passes (embedding the experiences,
    the text probe's fits, retrieving candidates)."""
    pipeline = ExtractionPipeline()
    prepared = []
    for record in tqdm(records, desc="embedding experiences", unit="exp", file=sys.stderr,
                       disable=not progress):
        segments = pipeline.segment(record.experience)
        vectors = embedder.embed(pipeline.texts_to_embed(segments))
        queries = SentenceQueries.split([s.text for s in segments], vectors)
        prepared.append(_Prepared(record, segments, queries))
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    # artefacts must never share a version with others fitted on the same data by another
    # model, another pipeline or with(out) a text probe
    probe = (f"text-probe:{text_probe.settings.frozen}/{text_probe.settings.epochs}/"
             f"{text_probe.settings.folds}/{text_probe.settings.weight:.4f}/"
             f"{text_probe.settings.taxonomy_weight}"
             + ("" if text_probe.settings.heads == ("mean",)
                else "/" + "+".join(text_probe.settings.heads))
             if text_probe is not None else "no-text-probe")
    fitted = f"{dataset_hash}|{embedder.model_id}|{pipeline.version}|{probe}".encode()
    version = f"{stamp}-{hashlib.sha256(fitted).hexdigest()[:8]}"
    quality_model, oof_levels, accuracy = fit_quality(prepared, rubric, f"quality-{version}",
                                                      dataset_hash)
    fitted_prior = fit_prior(prepared, indexes, embedder.model_id, f"prior-{version}",
                             dataset_hash, text_probe, progress)
    prior, oof_priors = fitted_prior.prior, fitted_prior.out_of_fold
    calibration, report = fit_calibration(pipeline, prepared, indexes, oof_levels,
                                          embedder.model_id, f"calibration-{version}",
                                          dataset_hash, oof_priors, progress)
    calibration.notes["prior"] = prior.version
    return FitReport(quality_model, calibration, prior, fitted_prior.text_probe, {
        "dataset_hash": dataset_hash, "experiences": len(records),
        "quality_out_of_fold_accuracy": accuracy, "calibration": report})
