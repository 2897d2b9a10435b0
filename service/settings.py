"""One validated Settings object, read from the environment at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Service configuration; every field can be set as an environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'skills.db'}"
    var_dir: Path = PROJECT_ROOT / "var"
    taxonomies_dir: Path = PROJECT_ROOT / "taxonomies"
    models_dir: Path = PROJECT_ROOT / "models"
    embedding_model: str = "all-minilm-l6-v2"
    index_cache_dir: Path | None = None  # default: VAR_DIR/indexes

    # Request limits: refused with a clear 4xx, never silently cut.
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    max_import_bytes: int = Field(32 * 1024 * 1024, ge=1024)  # a framework package or CSV
    max_narrative_chars: int = Field(20_000, ge=100)
    max_evidence_chars: int = Field(10_000, ge=100)
    max_evidence_items: int = Field(25, ge=1)
    max_assertions_limit: int = Field(100, ge=1)

    # Inference worker: batches concurrent requests; a full queue answers 429.
    embed_batch_size: int = Field(64, ge=1, le=1024)  # texts the batching worker sends at once
    # Texts per forward pass of the model. The model sorts a call's texts by length and pads
    # each pass to its longest, so short passes keep a request's short clauses from being
    # padded to its longest sentence.
    embed_forward_batch: int = Field(8, ge=1, le=1024)
    embed_max_wait_ms: float = Field(5.0, ge=0, le=1000)
    embed_queue_limit: int = Field(256, ge=1)
    torch_threads: int = Field(0, ge=0, description="0 lets torch decide")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    # Every request needs an API key unless this is set, which only development allows.
    auth_disabled: bool = False

    # Credentials: signed by this Ed25519 key (generated on first run); the issuer is its did:key.
    issuer_key_file: Path | None = None  # default: VAR_DIR/issuer-key.json
    issuer_name: str = Field("Skill extraction service", min_length=1, max_length=200)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept plain URLs and switch them to the async driver we ship."""
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @model_validator(mode="after")
    def _paths_exist(self) -> Settings:
        if not self.taxonomies_dir.is_dir():
            raise ValueError(f"TAXONOMIES_DIR {self.taxonomies_dir} is not a directory")
        if not self.models_dir.is_dir():
            raise ValueError(f"MODELS_DIR {self.models_dir} is not a directory")
        return self

    @model_validator(mode="after")
    def _auth_only_off_in_development(self) -> Settings:
        if self.auth_disabled and self.environment != "development":
            raise ValueError(
                f"AUTH_DISABLED=true is refused when ENVIRONMENT={self.environment}; "
                "it is only for local development. Create keys with "
                "`python -m service keys create --tenant T --role R` instead.")
        return self

    @property
    def imported_taxonomies_dir(self) -> Path:
        """Where imported frameworks are stored, one directory per version."""
        return self.var_dir / "taxonomies"

    @property
    def index_dir(self) -> Path:
        """Where built FAISS indexes are cached, keyed by model and taxonomy content."""
        return self.index_cache_dir or self.var_dir / "indexes"

    @property
    def issuer_key_path(self) -> Path:
        """The issuer's private key file (.json Multikey or .pem), created on first run."""
        return self.issuer_key_file or self.var_dir / "issuer-key.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
