"""Offline JSON Schema validation of issued credentials (Open Badges 3.0, CLR 2.0)."""

import json
from functools import cache
from importlib import resources
from typing import Any, Final

from jsonschema import Draft201909Validator
from referencing import Registry, Resource

OB3_SCHEMA_ID: Final = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CLR2_SCHEMA_ID: Final = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
_FILES: Final = ("ob_v3p0_achievementcredential_schema.json", "clr_v2p0_clrcredential_schema.json")


@cache
def _registry() -> Registry[Any]:
    """Every bundled schema under its $id; a $ref to anything else fails instead of fetching."""
    folder = resources.files("service.credentials") / "json-schemas"
    resources_by_id = []
    for name in _FILES:
        schema = json.loads((folder / name).read_text(encoding="utf-8"))
        resources_by_id.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources_by_id)


@cache
def _validator(schema_id: str) -> Draft201909Validator:
    schema = _registry().contents(schema_id)
    return Draft201909Validator(schema, registry=_registry())


def schema_errors(document: Any, schema_id: str) -> list[str]:
    """Where the document breaks the schema (JSON path: message); empty when it is valid."""
    errors = sorted(_validator(schema_id).iter_errors(document), key=lambda e: list(e.path))
    return [f"{e.json_path}: {e.message[:300]}" for e in errors]
