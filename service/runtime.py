"""Everything built once at start-up: model, taxonomies, indexes, database, use cases.

The API's lifespan and the CLI build the same Runtime, so both run the same code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.access.service import AccessService
from service.access.sessions import ConsoleSessions
from service.credentials.keys import load_or_create_key
from service.credentials.service import CredentialService
from service.db.migrate import upgrade_to_head
from service.db.session import create_engine, create_sessionmaker
from service.domain.crosswalk import Crosswalk
from service.extraction.service import ExtractionService
from service.inference.batcher import BatchingEmbedder
from service.inference.encoder import SentenceEncoder
from service.inference.registry import model_spec
from service.inference.text_probe import EncoderTextProbe
from service.pipeline.calibrate import CalibrationModel
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.prior import ExperiencePrior
from service.pipeline.quality import QualityEstimator, QualityModel, Rubric
from service.pipeline.retrieve import SkillIndex
from service.profiles.service import ProfileService
from service.review.service import ReviewService
from service.settings import Settings
from service.taxonomy.catalog import TaxonomyCatalog
from service.taxonomy.crosswalk import load_crosswalk
from service.taxonomy.index import IndexStore
from service.taxonomy.service import TaxonomyService
from service.taxonomy.store import ImportedPackages

log = structlog.get_logger(__name__)


@dataclass
class Readiness:
    """What /readyz reports."""

    model_warmed: bool = False
    indexes: dict[str, str] = field(default_factory=dict)  # taxonomy id -> "cache" | "built"
    startup_seconds: float = 0.0


@dataclass
class Runtime:
    """The long-lived objects of one process."""

    settings: Settings
    encoder: SentenceEncoder
    embedder: BatchingEmbedder
    catalog: TaxonomyCatalog
    indexes: dict[str, SkillIndex]
    pipeline: ExtractionPipeline
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    extractions: ExtractionService
    reviews: ReviewService
    access: AccessService
    console_sessions: ConsoleSessions
    credentials: CredentialService
    profiles: ProfileService
    taxonomies: TaxonomyService
    readiness: Readiness

    async def database_reachable(self) -> bool:
        """Whether a trivial query succeeds."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # reported as not ready, with the reason logged
            log.warning("database.unreachable", exc_info=True)
            return False

    async def close(self) -> None:
        """Stop the worker and release the database."""
        await to_thread.run_sync(self.embedder.stop)
        await self.engine.dispose()


def load_encoder(settings: Settings) -> SentenceEncoder:
    """Load and warm the configured model (blocking)."""
    spec = model_spec(settings.models_dir, settings.embedding_model)
    encoder = SentenceEncoder(spec, spec.weights_path(settings.var_dir),
                              batch_size=settings.embed_forward_batch,
                              threads=settings.torch_threads)
    encoder.warmup()
    return encoder


def load_pipeline(settings: Settings, encoder: SentenceEncoder,
                  crosswalk: Crosswalk | None = None) -> ExtractionPipeline:
    """The pipeline with its fitted artefacts from ``models/`` (blocking: embeds the rubric)."""
    quality_dir = settings.models_dir / "quality"
    rubric = Rubric.load(quality_dir / "rubric.yaml", encoder)
    model_path = quality_dir / f"quality-model-{encoder.model_id}.json"
    quality_model = QualityModel.load(model_path) if model_path.exists() else None
    calibration_path = settings.models_dir / "calibration" / f"calibration-{encoder.model_id}.json"
    calibration = CalibrationModel.load(calibration_path) if calibration_path.exists() else None
    prior_path = settings.models_dir / "calibration" / f"prior-{encoder.model_id}.json"
    prior = ExperiencePrior.load(prior_path) if prior_path.exists() else None
    wanted = calibration.notes.get("prior") if calibration is not None else None
    if (prior.version if prior is not None else None) != wanted:
        # The calibrator was fitted with (or without) one particular prior; any other would
        # feed it inputs it never saw.
        raise ValueError(
            f"{calibration_path.name} was fitted with prior {wanted!r} but {prior_path.name} "
            f"holds {prior.version if prior else None!r}; refit both with "
            "`python -m service eval calibrate`")
    if prior is not None and prior.text_probe is not None:
        probe_path = prior_path.parent / prior.text_probe.file
        if not probe_path.exists():
            raise ValueError(f"{prior_path.name} was fitted with the text probe "
                             f"{probe_path.name}, which is missing; restore it or refit with "
                             "`python -m service eval calibrate`")
        prior = prior.with_reader(EncoderTextProbe.load(probe_path, encoder.backbone(),
                                                        prior.text_probe.sha256))
    if calibration is None or quality_model is None:
        log.warning("pipeline.uncalibrated", calibration=calibration is not None,
                    quality_model=quality_model is not None)
    return ExtractionPipeline(quality=QualityEstimator(rubric, quality_model),
                              calibration=calibration, prior=prior, crosswalk=crosswalk)


def load_catalog(settings: Settings) -> TaxonomyCatalog:
    """The bundled frameworks and every imported version (blocking)."""
    return TaxonomyCatalog.from_directory(settings.taxonomies_dir,
                                          ImportedPackages(settings.imported_taxonomies_dir))


def load_indexes(settings: Settings, encoder: SentenceEncoder,
                 catalog: TaxonomyCatalog) -> tuple[dict[str, SkillIndex], dict[str, str]]:
    """Every taxonomy's index from the cache, building the missing ones (blocking)."""
    store = IndexStore(settings.index_dir, encoder)
    indexes: dict[str, SkillIndex] = {}
    origin: dict[str, str] = {}
    for taxonomy in catalog:
        index, built = store.load_serving(taxonomy)
        indexes[taxonomy.id] = index
        origin[taxonomy.id] = "built" if built else "cache"
    return indexes, origin


async def start_runtime(settings: Settings, migrate: bool = True) -> Runtime:
    """Build the runtime: model warmed, indexes loaded, database migrated."""
    started = time.perf_counter()
    catalog = await to_thread.run_sync(load_catalog, settings)
    crosswalk = load_crosswalk(settings.taxonomies_dir / "crosswalks", catalog)
    encoder = await to_thread.run_sync(load_encoder, settings)
    indexes, origin = await to_thread.run_sync(load_indexes, settings, encoder, catalog)
    engine = create_engine(settings.database_url)
    if migrate:
        await upgrade_to_head(engine)
    embedder = BatchingEmbedder(encoder, max_batch=settings.embed_batch_size,
                                max_wait_ms=settings.embed_max_wait_ms,
                                queue_limit=settings.embed_queue_limit)
    embedder.start()
    pipeline = await to_thread.run_sync(load_pipeline, settings, encoder, crosswalk)
    issuer_key = await to_thread.run_sync(load_or_create_key, settings.issuer_key_path)
    readiness = Readiness(model_warmed=True, indexes=origin,
                          startup_seconds=round(time.perf_counter() - started, 2))
    if settings.auth_disabled:
        log.warning("auth.disabled", environment=settings.environment)
    log.info("service.ready", model=encoder.model_id, issuer=issuer_key.did,
             taxonomies=len(catalog), crosswalk_links=len(crosswalk),
             indexes_built=sum(v == "built" for v in origin.values()),
             seconds=readiness.startup_seconds)
    return Runtime(
        settings=settings, encoder=encoder, embedder=embedder, catalog=catalog, indexes=indexes,
        pipeline=pipeline, engine=engine, sessions=create_sessionmaker(engine),
        extractions=ExtractionService(settings, pipeline, catalog, indexes, embedder),
        reviews=ReviewService(catalog), access=AccessService(),
        console_sessions=ConsoleSessions.derived_from(
            issuer_key.private_key.private_bytes_raw()),
        credentials=CredentialService(catalog, issuer_key, settings.issuer_name),
        profiles=ProfileService(catalog),

        taxonomies=TaxonomyService(catalog, indexes, ImportedPackages(
            settings.imported_taxonomies_dir), IndexStore(settings.index_dir, encoder), embedder,
            crosswalk, readiness.indexes),
        readiness=readiness,
    )
