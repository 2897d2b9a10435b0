"""HTTP routes for taxonomies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.deps import RuntimeDep
from service.api.responses import ERROR_RESPONSES
from service.taxonomy.schemas import SkillItemOut, SkillPage, TaxonomyList, TaxonomySummary
from service.taxonomy.search import search_items

router = APIRouter(prefix="/v1/taxonomies", tags=["taxonomies"])


@router.get("", response_model=TaxonomyList, summary="List installed frameworks")
async def list_taxonomies(runtime: RuntimeDep) -> TaxonomyList:
    """Every installed framework with its version and content hash."""
    return TaxonomyList(taxonomies=[TaxonomySummary.of(t) for t in runtime.catalog])


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
