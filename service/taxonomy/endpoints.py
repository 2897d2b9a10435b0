"""HTTP routes for taxonomies: list, search, import, export, versions and crosswalks."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from service.access.roles import Permission
from service.api.deps import RuntimeDep, allowed
from service.api.responses import ERROR_RESPONSES, ErrorBody
from service.domain.crosswalk import CrosswalkLink
from service.domain.taxonomy import SkillItem, SkillType
from service.errors import InvalidTaxonomyPackage
from service.taxonomy.schemas import (
    CrosswalkItem,
    CrosswalkMapping,
    CrosswalkOut,
    SkillItemOut,
    SkillPage,
    TaxonomyImported,
    TaxonomyList,
    TaxonomySummary,
    TaxonomyVersionOut,
    TaxonomyVersions,
)
from service.taxonomy.search import search_items
from service.taxonomy.service import ImportOptions, TaxonomyService

router = APIRouter(prefix="/v1/taxonomies", tags=["taxonomies"])
crosswalk_router = APIRouter(prefix="/v1/crosswalk", tags=["taxonomies"])


def get_taxonomy_service(runtime: RuntimeDep) -> TaxonomyService:
    """The taxonomy use cases."""
    return runtime.taxonomies


TaxonomyServiceDep = Annotated[TaxonomyService, Depends(get_taxonomy_service)]
_IMPORT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "description": "A CASE 1.0 or 1.1 "
                                    "CFPackage (CFDocument, CFItems, CFAssociations)"}},
    "text/csv": {"schema": {"type": "string", "description": "ESCO-style CSV: uri, "
                            "preferred_label, alt_labels ('|'-separated), description"}}}}}


@router.get("", response_model=TaxonomyList, summary="List installed frameworks")
async def list_taxonomies(runtime: RuntimeDep) -> TaxonomyList:
    """Every installed framework with its version and content hash."""
    return TaxonomyList(taxonomies=[TaxonomySummary.of(t) for t in runtime.catalog])


@router.post("", response_model=TaxonomyImported, status_code=status.HTTP_201_CREATED,
             responses={**ERROR_RESPONSES, 200: {"model": TaxonomyImported,
                                                 "description": "Identical to the installed "
                                                                "version: nothing changed"},
                        409: {"model": ErrorBody, "description": "A bundled framework"}},
             dependencies=[allowed(Permission.MANAGE_TAXONOMIES)], openapi_extra=_IMPORT_BODY,
             summary="Import a framework (CASE JSON or ESCO-style CSV)")
async def import_taxonomy(
    request: Request,
    response: Response,
    service: TaxonomyServiceDep,
    framework_id: Annotated[str | None, Query(alias="id", max_length=63,
                                              description="Default: from the title")] = None,
    title: Annotated[str | None, Query(max_length=200)] = None,
    skill_type: SkillType = SkillType.DURABLE,
    default: Annotated[bool, Query(description="Searched when a request names none")] = False,
) -> TaxonomyImported:
    """Validate, store as a new version, index and install at once; identical is a no-op."""
    options = ImportOptions(framework_id, title, skill_type, default)
    body = await request.body()
    if request.headers.get("content-type", "").startswith("text/csv"):
        outcome = await service.import_csv(body.decode("utf-8-sig", errors="replace"), options)
    else:
        try:
            package = json.loads(body)
        except ValueError as exc:
            raise InvalidTaxonomyPackage(f"The body is not JSON ({exc}); send a CASE package "
                                         "as application/json or a CSV as text/csv.") from None
        outcome = await service.import_package(package, options)
    taxonomy = outcome.taxonomy
    response.status_code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/taxonomies/{taxonomy.ref}"
    return TaxonomyImported(created=outcome.created, ref=taxonomy.ref,
                            taxonomy=TaxonomySummary.of(taxonomy))


@router.get("/{ref}", responses={**ERROR_RESPONSES, 200: {
                "content": {"application/json": {"schema": {"type": "object"}}},
                "description": "The CASE package as installed"}},
            summary="Export a framework as CASE JSON")
async def export_taxonomy(ref: str, service: TaxonomyServiceDep) -> Response:
    """The CASE package of ``id`` (latest version) or ``id@version``, exactly as stored."""
    entry, body = service.export(ref)
    return Response(body, media_type="application/json", headers={
        "ETag": f'"{entry.taxonomy.content_hash}"',
        "X-Taxonomy-Version": entry.taxonomy.version})


@router.get("/{taxonomy_id}/versions", response_model=TaxonomyVersions,
            responses=ERROR_RESPONSES, summary="Installed versions of a framework")
async def list_versions(taxonomy_id: str, runtime: RuntimeDep) -> TaxonomyVersions:
    """Every installed version, oldest first; old ones stay exportable as ``id@version``."""
    entries = runtime.catalog.versions(taxonomy_id)
    latest = runtime.catalog.get(taxonomy_id)
    return TaxonomyVersions(id=taxonomy_id, versions=[
        TaxonomyVersionOut(version=e.taxonomy.version, content_hash=e.taxonomy.content_hash,
                           origin=e.origin, latest=e.taxonomy is latest,
                           imported_at=e.stored.manifest.get("imported_at") if e.stored else None)
        for e in entries])


@router.get("/{taxonomy_id}/skills", response_model=SkillPage, responses=ERROR_RESPONSES,
            summary="Search a framework's skills")
async def list_skills(
    taxonomy_id: str,
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200, description="Words to look for")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SkillPage:
    """Skills whose code, name, description or keywords contain every word of ``q``."""
    taxonomy = runtime.catalog.get(taxonomy_id)
    found = search_items(taxonomy, q)
    return SkillPage(taxonomy=TaxonomySummary.of(taxonomy), query=q, total=len(found),
                     offset=offset,
                     items=[SkillItemOut.of(i, taxonomy) for i in found[offset:offset + limit]])


@crosswalk_router.get("", response_model=CrosswalkOut, responses=ERROR_RESPONSES,
                      summary="Equivalent and related skills between two frameworks")
async def get_crosswalk(
    service: TaxonomyServiceDep,
    source: Annotated[str, Query(alias="from", max_length=63)],
    target: Annotated[str, Query(alias="to", max_length=63)],
) -> CrosswalkOut:
    """The curated exactMatchOf / isRelatedTo links from ``from``'s items to ``to``'s."""
    links = service.crosswalk_between(source, target)
    return CrosswalkOut(source=source, target=target, mappings=[_mapping(x) for x in links])


def _mapping(link: CrosswalkLink) -> CrosswalkMapping:
    return CrosswalkMapping(relation=link.relation, source=_end(link.source),
                            target=_end(link.target))


def _end(item: SkillItem) -> CrosswalkItem:
    return CrosswalkItem(id=item.identifier, code=item.code, label=item.label, uri=item.uri)
