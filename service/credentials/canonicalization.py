"""RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) of JSON-LD documents via pyld."""

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pyld import jsonld

from service.credentials.document_loader import BundledContextLoader, default_loader
from service.credentials.errors import (
    CanonicalizationError,
    RemoteContextError,
    UndefinedTermError,
)

# Relative IRIs are resolved against this base so they can be found and refused: .invalid is
# reserved (RFC 2606), so no real credential names it. pyld's own default would hide them.
_RELATIVE_BASE: Final = "https://relative-iri.invalid/"
# pyld escapes only \\ \" \n \r \t in literals; RDFC-1.0 also escapes the other C0 controls and
# DEL. A raw one left in pyld's output would sign bytes other implementations never produce.
_UNESCAPED_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def canonicalize(document: Mapping[str, Any], loader: BundledContextLoader | None = None) -> str:
    """Canonicalise a JSON-LD document to sorted RDFC-1.0 N-Quads, loading contexts offline.

    Like JSON-LD "safe mode", refuses a document whose terms or IRIs would silently drop out
    of the canonical form, since that content would not be covered by a signature.
    """
    options = {"documentLoader": loader or default_loader(), "base": _RELATIVE_BASE}
    dropped: list[str] = []
    try:
        expanded = jsonld.expand(
            copy.deepcopy(dict(document)),
            options,
            on_property_dropped=lambda term: dropped.append(str(term)),
        )
        relative = sorted(set(_relative_iris(expanded)))
        if dropped or relative:
            raise UndefinedTermError(sorted(set(dropped)), relative)
        nquads = jsonld.normalize(
            expanded, {**options, "algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except jsonld.JsonLdError as error:
        refused = _refused_context(error)
        if refused is not None:
            raise refused from error
        raise CanonicalizationError(f"JSON-LD canonicalisation failed: {error}") from error
    if not isinstance(nquads, str):
        raise CanonicalizationError("JSON-LD canonicalisation did not produce N-Quads")
    if _UNESCAPED_CONTROL.search(nquads):
        raise CanonicalizationError(
            "text values contain control characters that pyld does not escape as RDFC-1.0 requires"
        )
    return nquads


def _relative_iris(node: Any) -> Iterator[str]:
    """Yield the relative IRIs (as written) among the @id and @type values of expanded JSON-LD."""
    if isinstance(node, list):
        for item in node:
            yield from _relative_iris(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("@id", "@type"):
                for iri in value if isinstance(value, list) else [value]:
                    if isinstance(iri, str) and iri.startswith(_RELATIVE_BASE):
                        yield iri[len(_RELATIVE_BASE) :]
            else:
                yield from _relative_iris(value)


def _refused_context(error: BaseException) -> RemoteContextError | None:
    """Find the loader's refusal in the chain of errors pyld wraps around it."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, RemoteContextError):
            return current
        current = current.__cause__ or current.__context__
    return None
