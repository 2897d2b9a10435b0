"""Offline pyld document loader: serves the bundled JSON-LD contexts and refuses every other URL."""

import copy
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final, TypedDict

from service.credentials.errors import RemoteContextError

CREDENTIALS_V2_URL: Final = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V1_URL: Final = "https://w3id.org/security/data-integrity/v1"
OB_V3P0_CONTEXT_URL: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS_URL: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2P0_CONTEXT_URL: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_V2P0_CONTEXT_UNVERSIONED_URL: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context.json"

BUNDLED_CONTEXT_FILES: Final[Mapping[str, str]] = {
    CREDENTIALS_V2_URL: "credentials-v2.jsonld",
    DATA_INTEGRITY_V1_URL: "data-integrity-v1.jsonld",
    OB_V3P0_CONTEXT_URL: "ob-v3p0-context-3.0.3.json",
    OB_V3P0_EXTENSIONS_URL: "ob-v3p0-extensions.json",
    CLR_V2P0_CONTEXT_URL: "clr-v2p0-context-2.0.1.json",
    CLR_V2P0_CONTEXT_UNVERSIONED_URL: "clr-v2p0-context.json",
}

JsonObject = dict[str, Any]


class RemoteDocument(TypedDict):
    """The document shape pyld expects back from a loader (JSON-LD 1.1 API RemoteDocument)."""

    contentType: str
    contextUrl: str | None
    documentUrl: str
    document: JsonObject


@cache
def bundled_contexts() -> Mapping[str, JsonObject]:
    """Parse the bundled context files once, keyed by the URL each is published at."""
    folder = resources.files("service.credentials") / "contexts"
    return {
        url: json.loads((folder / name).read_text(encoding="utf-8"))
        for url, name in BUNDLED_CONTEXT_FILES.items()
    }


class BundledContextLoader:
    """A pyld document loader that never touches the network."""

    def __init__(self, extra_contexts: Mapping[str, JsonObject] | None = None) -> None:
        """Serve the bundled contexts plus `extra_contexts` (URL -> context document)."""
        self._contexts: dict[str, JsonObject] = {**bundled_contexts(), **(extra_contexts or {})}

    @property
    def urls(self) -> frozenset[str]:
        """The context URLs this loader serves."""
        return frozenset(self._contexts)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> RemoteDocument:
        """Return the context published at `url`, or raise RemoteContextError."""
        document = self._contexts.get(url)
        if document is None:
            raise RemoteContextError(url)
        # pyld may rewrite nested context values in place; hand out a private copy.
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(document),
        }


@cache
def default_loader() -> BundledContextLoader:
    """The process-wide loader serving only the bundled contexts."""
    return BundledContextLoader()
