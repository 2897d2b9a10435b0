"""Typed errors raised by the credentials feature, part of the service's error catalogue."""

from service.errors import ServiceError


class CredentialError(ServiceError):
    """Base class for errors in issuing or verifying credentials."""

    status_code = 500


class RemoteContextError(CredentialError):
    """A JSON-LD context URL is not bundled, and remote contexts are never fetched."""

    status_code = 422

    def __init__(self, url: str) -> None:
        super().__init__(
            f"JSON-LD context {url!r} is not bundled with the service; remote contexts are "
            "refused. Use only the bundled credentials v2, Open Badges 3.0 and CLR 2.0 contexts."
        )
        self.url = url


class CanonicalizationError(CredentialError):
    """A document could not be canonicalised to RDFC-1.0 N-Quads."""

    status_code = 422


class UndefinedTermError(CanonicalizationError):
    """Terms or relative IRIs the contexts do not define would drop out of the signed data."""

    def __init__(self, terms: list[str], relative_iris: list[str]) -> None:
        problems = []
        if terms:
            problems.append(f"terms not defined by its @context: {', '.join(terms)}")
        if relative_iris:
            problems.append(f"relative IRIs in id or type: {', '.join(relative_iris)}")
        super().__init__(
            "the document has content a signature would not cover ("
            + "; ".join(problems)
            + "). Define the terms in a bundled context or use absolute IRIs."
        )
        self.terms = terms
        self.relative_iris = relative_iris


class KeyFormatError(CredentialError):
    """A key, multibase string or did:key is malformed."""

    status_code = 422


class KeyFileError(CredentialError):
    """The issuer key file is unreadable or holds no usable Ed25519 key (a deployment fault)."""


class ProofError(CredentialError):
    """A proof cannot be created for the given document or options."""

    status_code = 422
