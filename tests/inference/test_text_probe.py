"""The prior's text probe with the real encoder: the layers it runs, what a fit learns, and its
artefact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from sklearn.metrics import roc_auc_score

from service.calibration.fit import framework_examples
from service.calibration.text_probe import (
    FrameworkExample,
    TextProbeFit,
    fit_text_probe,
)
from service.calibration.text_probe_settings import TextProbeSettings
from service.evaluation.dataset import load_dataset
from service.inference.encoder import SentenceEncoder
from service.inference.text_probe import (
    Backbone,
    EncoderTextProbe,
    UnsupportedEncoder,
    UpperLayers,
    _file_metadata,
)
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.prior import experience_text
from service.runtime import load_catalog, load_encoder
from service.settings import PROJECT_ROOT
from tests.conftest import make_settings

DEV = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1" / "dev.jsonl"
FRAMEWORK = "ngss-sep"
Fitted = tuple[list[str], list[set[str]], TextProbeFit]  # texts, their gold codes, the fit


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> SentenceEncoder:
    return load_encoder(make_settings(tmp_path_factory.mktemp("var")))


def test_the_lower_layers_are_the_encoders_own(encoder: SentenceEncoder) -> None:
    backbone = encoder.backbone()
    text = "I wired the robot's arm, logged each test run and changed the gear ratio."
    ids = backbone.tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        states = backbone.model(**ids, output_hidden_states=True).hidden_states
    for frozen in (0, 3, 6):
        assert torch.allclose(backbone.lower(text, frozen), states[frozen][0], atol=1e-5)
    assert backbone.lower(text, 3).requires_grad is False


def test_only_bert_family_encoders_are_supported() -> None:
    class Config:
        model_type = "mpnet"

    class Other:
        config = Config()

    with pytest.raises(UnsupportedEncoder, match="BERT-family"):
        Backbone(tokenizer=None, model=Other())


@pytest.fixture(scope="module")
def fitted(encoder: SentenceEncoder) -> Fitted:
    pipeline = ExtractionPipeline()
    records = [r for r in load_dataset(DEV) if FRAMEWORK in r.gold.labelled_frameworks][:48]
    texts = [experience_text(pipeline.segment(r.experience)) for r in records]
    gold = [{g.code for g in r.gold.skills if g.framework == FRAMEWORK} for r in records]
    codes = {FRAMEWORK: sorted({c for g in gold for c in g})}
    fit = fit_text_probe(encoder.backbone(), texts, [{FRAMEWORK: g} for g in gold], codes,
                         "prior-test", encoder.model_id, TextProbeSettings(epochs=8, folds=2))
    return texts, gold, fit


def test_a_fit_learns_its_experiences_and_reads_the_others_out_of_fold(fitted: Fitted) -> None:
    texts, gold, fit = fitted
    codes = fit.probe.codes[FRAMEWORK]
    y = np.array([[c in g for c in codes] for g in gold], dtype=int).ravel()
    seen = np.stack([fit.probe.logits(t)[FRAMEWORK] for t in texts]).ravel()
    out_of_fold = np.stack([o[FRAMEWORK] for o in fit.out_of_fold]).ravel()
    assert len(fit.out_of_fold) == len(texts)
    # what it was fitted on, it reads well; what it never saw, worse, but above chance
    assert roc_auc_score(y, seen) > 0.9
    assert 0.55 < roc_auc_score(y, out_of_fold) < roc_auc_score(y, seen)


def test_the_saved_probe_reads_as_the_fitted_one(fitted: Fitted, encoder: SentenceEncoder,
                                                 tmp_path: Path) -> None:
    texts, _, fit = fitted
    path = tmp_path / "probe.safetensors"
    fit.probe.save(path)
    loaded = EncoderTextProbe.load(path, encoder.backbone(), fit.probe.sha256())
    assert loaded.codes == fit.probe.codes and loaded.version == "prior-test"
    for text in texts[:3]:  # the fit rounds its weights as the file stores them
        assert np.allclose(loaded.logits(text)[FRAMEWORK], fit.probe.logits(text)[FRAMEWORK],
                           atol=1e-6)
    assert path.stat().st_size < 16_000_000  # three layers and a head, half precision
    with pytest.raises(ValueError, match="sha256 differs"):
        EncoderTextProbe.load(path, encoder.backbone(), "0" * 64)


def test_reads_from_several_threads_while_the_encoder_embeds(fitted: Fitted,
                                                             encoder: SentenceEncoder) -> None:
    """The API reads the prior on worker threads while the batcher embeds on its own."""
    texts, _, fit = fitted
    alone = [fit.probe.logits(t)[FRAMEWORK] for t in texts[:8]]

    def embed() -> None:
        for _ in range(4):
            encoder.embed(texts[:16])

    with ThreadPoolExecutor(max_workers=4) as pool:
        embedding = pool.submit(embed)
        together = list(pool.map(lambda t: fit.probe.logits(t)[FRAMEWORK], texts[:8]))
        embedding.result()
    for a, b in zip(alone, together, strict=True):
        assert np.allclose(a, b, atol=1e-5)


def test_a_fit_learns_a_framework_from_its_own_words(encoder: SentenceEncoder) -> None:
    """Examples written in a framework (its items' descriptions and keywords) teach the probe
    codes no experience is labelled with; at weight 0 they change nothing."""
    pipeline = ExtractionPipeline()
    records = [r for r in load_dataset(DEV) if FRAMEWORK in r.gold.labelled_frameworks][:10]
    texts = [experience_text(pipeline.segment(r.experience)) for r in records]
    gold = [{FRAMEWORK: {g.code for g in r.gold.skills if g.framework == FRAMEWORK}}
            for r in records]
    codes = {FRAMEWORK: sorted({c for g in gold for c in g[FRAMEWORK]}),
             "written": ["HANDS", "MONEY"]}
    examples = [FrameworkExample(t, "written", "HANDS") for t in (
        "soldered the wires onto the circuit board", "welded the frame together",
        "fixed the engine with a wrench", "built the shelves with a drill and saw")] + [
        FrameworkExample(t, "written", "MONEY") for t in (
        "kept the club's budget in a spreadsheet", "tracked every dollar we raised",
        "balanced the accounts at the end of the month", "priced the tickets to cover costs")]

    def fit(weight: float, given: list[FrameworkExample]) -> TextProbeFit:
        return fit_text_probe(encoder.backbone(), texts, gold, codes, "prior-test",
                              encoder.model_id,
                              TextProbeSettings(epochs=6, folds=2, taxonomy_weight=weight),
                              examples=given)

    taught = fit(1.0, examples).probe
    hands = taught.logits("I soldered the connectors and drilled the mounting holes")["written"]
    money = taught.logits("I managed the budget and counted the money we raised")["written"]
    assert hands[0] > hands[1] and money[1] > money[0]
    unweighted, without = fit(0.0, examples), fit(0.0, [])
    for a, b in zip(unweighted.out_of_fold, without.out_of_fold, strict=True):
        assert np.array_equal(a[FRAMEWORK], b[FRAMEWORK])
    assert np.array_equal(unweighted.probe.logits(texts[0])["written"],
                          without.probe.logits(texts[0])["written"])


def test_framework_examples_are_its_items_words_under_their_competency(tmp_path: Path
                                                                        ) -> None:
    taxonomy = load_catalog(make_settings(tmp_path)).get("career-clusters-2024")
    examples = framework_examples([taxonomy])
    roots = {i.code for i in taxonomy.items if i.parent is None}
    assert {e.code for e in examples} == roots and {e.framework for e in examples} == {
        "career-clusters-2024"}
    item = next(i for i in taxonomy.items if i.parent is not None and i.keywords)
    root = taxonomy.root_of(item.identifier).code
    mine = {e.text for e in examples if e.code == root}
    assert item.description in mine and set(item.keywords) <= mine
    assert len(examples) == sum(1 + len(i.keywords) for i in taxonomy.items)


def test_an_attention_member_starts_as_the_mean_one(encoder: SentenceEncoder) -> None:
    """Its queries start at zero (every token weighs the same) and its weights on the attended
    vectors too, so a fit starts from the mean head and learns only what the pooling adds."""
    backbone = encoder.backbone()
    states = backbone.lower("I logged each test run and changed the gear ratio.", 3)
    torch.manual_seed(7)
    mean = UpperLayers(backbone, 3, 5, "mean")
    torch.manual_seed(7)
    attention = UpperLayers(backbone, 3, 5, "attention")
    with torch.inference_mode():
        assert torch.allclose(mean([states]), attention([states]), atol=1e-6)
        attention.value.fill_(1.0)  # with weights on them, the attended vectors count
        assert not torch.allclose(mean([states]), attention([states]), atol=1e-3)
    assert {id(p) for p in attention.head_parameters()} == {
        id(attention.head.weight), id(attention.head.bias), id(attention.query),
        id(attention.value)}
    with pytest.raises(ValueError, match="head must be one of"):
        UpperLayers(backbone, 3, 5, "max")


def test_a_probe_of_two_members_reads_their_mean_and_stores_both(
        encoder: SentenceEncoder, fitted: Fitted, tmp_path: Path) -> None:
    backbone = encoder.backbone()
    pipeline = ExtractionPipeline()
    records = [r for r in load_dataset(DEV) if FRAMEWORK in r.gold.labelled_frameworks][:12]
    texts = [experience_text(pipeline.segment(r.experience)) for r in records]
    gold = [{FRAMEWORK: {g.code for g in r.gold.skills if g.framework == FRAMEWORK}}
            for r in records]
    codes = {FRAMEWORK: sorted({c for g in gold for c in g[FRAMEWORK]})}

    def fit(heads: tuple[str, ...]) -> TextProbeFit:
        return fit_text_probe(backbone, texts, gold, codes, "prior-test", encoder.model_id,
                              TextProbeSettings(epochs=2, folds=2, heads=heads))

    pair, alone = fit(("mean", "attention")), fit(("mean",))
    probe = pair.probe
    assert probe.heads == ("mean", "attention") and alone.probe.heads == ("mean",)
    # a member is fitted as it would be alone: adding one leaves the other as it was
    for a, b in zip(probe.members[0].state_dict().values(),
                    alone.probe.members[0].state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert float(probe.members[1].query.detach().abs().sum()) > 0  # the attention was learned
    states = backbone.lower(texts[0], probe.frozen)
    with torch.inference_mode():
        each = [m([states])[0].double().numpy() for m in probe.members]
    assert np.allclose(probe.logits(texts[0])[FRAMEWORK], (each[0] + each[1]) / 2, atol=1e-5)
    assert not np.allclose(pair.out_of_fold[0][FRAMEWORK], alone.out_of_fold[0][FRAMEWORK])

    path = tmp_path / "pair.safetensors"
    probe.save(path)
    assert _file_metadata(path.read_bytes())["format"] == "2"
    loaded = EncoderTextProbe.load(path, backbone, probe.sha256())
    assert loaded.heads == probe.heads
    for text in texts[:3]:
        assert np.allclose(loaded.logits(text)[FRAMEWORK], probe.logits(text)[FRAMEWORK],
                           atol=1e-6)
    # a probe of one mean member keeps the file every earlier fit wrote (format 1)
    single = tmp_path / "single.safetensors"
    fitted[2].probe.save(single)
    meta = _file_metadata(single.read_bytes())
    assert meta["format"] == "1" and "heads" not in meta
    assert set(load_file(single)) == set(fitted[2].probe.members[0].state_dict())
