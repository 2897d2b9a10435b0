"""The offline JSON-LD document loader and canonicalisation against it."""

import socket
from typing import Any, NoReturn

import pytest

from service.credentials.canonicalization import canonicalize
from service.credentials.document_loader import (
    BUNDLED_CONTEXT_FILES,
    CREDENTIALS_V2_URL,
    BundledContextLoader,
    default_loader,
)
from service.credentials.errors import RemoteContextError

REMOTE_CONTEXT = "https://contexts.example.org/badge-extras.jsonld"


def _no_network(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError("the credentials code tried to open a network connection")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything opens a socket."""
    monkeypatch.setattr(socket, "socket", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)


@pytest.mark.parametrize("url", sorted(BUNDLED_CONTEXT_FILES))
def test_every_bundled_context_is_served(url: str) -> None:
    remote = default_loader()(url, {})
    assert remote["documentUrl"] == url
    assert isinstance(remote["document"]["@context"], dict)


def test_unbundled_url_is_refused_with_typed_error() -> None:
    with pytest.raises(RemoteContextError) as refused:
        default_loader()(REMOTE_CONTEXT, {})
    assert refused.value.url == REMOTE_CONTEXT
    assert refused.value.status_code == 422


def test_served_documents_are_private_copies() -> None:
    loader = BundledContextLoader()
    loader(CREDENTIALS_V2_URL, {})["document"]["@context"]["id"] = "tampered"
    assert loader(CREDENTIALS_V2_URL, {})["document"]["@context"]["id"] == "@id"


def test_extra_contexts_are_served_only_by_their_loader() -> None:
    extra = {"@context": {"@vocab": "https://vocab.example.org/#"}}
    loader = BundledContextLoader({REMOTE_CONTEXT: extra})
    assert loader(REMOTE_CONTEXT, {})["document"] == extra
    assert REMOTE_CONTEXT in loader.urls
    assert REMOTE_CONTEXT not in default_loader().urls


@pytest.mark.usefixtures("offline")
def test_credential_canonicalises_offline(skill_credential: dict[str, Any]) -> None:
    nquads = canonicalize(skill_credential)
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject>" in nquads
    assert nquads.endswith(" .\n")


@pytest.mark.usefixtures("offline")
def test_top_level_remote_context_is_refused(skill_credential: dict[str, Any]) -> None:
    skill_credential["@context"] = [*skill_credential["@context"], REMOTE_CONTEXT]
    with pytest.raises(RemoteContextError, match="not bundled"):
        canonicalize(skill_credential)


@pytest.mark.usefixtures("offline")
def test_nested_remote_context_is_refused(skill_credential: dict[str, Any]) -> None:
    skill_credential["credentialSubject"]["@context"] = REMOTE_CONTEXT
    with pytest.raises(RemoteContextError) as refused:
        canonicalize(skill_credential)
    assert refused.value.url == REMOTE_CONTEXT
