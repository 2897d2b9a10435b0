"""Command line: ``python -m service {serve,extract,build-index,taxonomies,db,keys,review}``."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import ServiceError
from service.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=args.host or settings.host,
                port=args.port or settings.port, log_config=None)
    return 0


async def _extract_async(path: Path, tenant_id: str) -> str:
    from service.extraction.repository import ExtractionRepository
    from service.extraction.schemas import ExtractionRequest
    from service.runtime import start_runtime

    request = ExtractionRequest.model_validate_json(await anyio.Path(path).read_bytes())
    runtime = await start_runtime(get_settings())
    try:
        async with runtime.sessions() as session, session.begin():
            return await runtime.extractions.extract(request, ExtractionRepository(session),
                                                     tenant_id)
    finally:
        await runtime.close()


def _extract(args: argparse.Namespace) -> int:
    from service.logs import configure_logging

    settings = get_settings()
    configure_logging("WARNING", settings.log_json)
    try:
        body = asyncio.run(_extract_async(Path(args.file), args.tenant))
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "body"
            sys.stderr.write(f"{args.file}: {loc}: {err['msg']}\n")
        return 2
    except ServiceError as exc:
        sys.stderr.write(f"{args.file}: {type(exc).__name__}: {exc.detail}\n")
        return 2
    sys.stdout.write(json.dumps(json.loads(body), indent=2 if args.pretty else None) + "\n")
    return 0


def _build_index(_: argparse.Namespace) -> int:
    from service.logs import configure_logging
    from service.runtime import load_catalog, load_encoder, load_indexes

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    catalog = load_catalog(settings)
    _indexes, origin = load_indexes(settings, load_encoder(settings), catalog)
    for taxonomy_id, how in origin.items():
        sys.stdout.write(f"{taxonomy_id}: {how}\n")
    return 0


def _compile_taxonomies(args: argparse.Namespace) -> int:
    from service.taxonomy.authoring import compile_directory

    stale = compile_directory(get_settings().taxonomies_dir, check=args.check)
    for path in stale:
        sys.stdout.write(f"{'stale' if args.check else 'wrote'}: {path}\n")
    return 1 if args.check and stale else 0


async def _import_async(args: argparse.Namespace) -> str:
    from service.domain.taxonomy import SkillType
    from service.runtime import start_runtime
    from service.taxonomy.service import ImportOptions

    options = ImportOptions(args.id, args.title, SkillType(args.skill_type), args.default)
    text = (await anyio.Path(args.file).read_bytes()).decode("utf-8-sig")
    runtime = await start_runtime(get_settings())
    try:
        if args.file.lower().endswith(".csv"):
            outcome = await runtime.taxonomies.import_csv(text, options)
        else:
            try:
                package = json.loads(text)
            except ValueError as exc:
                raise ServiceError(f"not JSON: {exc}") from None
            outcome = await runtime.taxonomies.import_package(package, options)
    finally:
        await runtime.close()
    return f"{outcome.taxonomy.ref}: {'imported' if outcome.created else 'unchanged'}"


def _import_taxonomy(args: argparse.Namespace) -> int:
    from service.logs import configure_logging

    configure_logging("WARNING", get_settings().log_json)
    try:
        sys.stdout.write(asyncio.run(_import_async(args)) + "\n")
    except ServiceError as exc:
        sys.stderr.write(f"{args.file}: {type(exc).__name__}: {exc.detail}\n")
        return 2
    return 0


def _db_upgrade(_: argparse.Namespace) -> int:
    from service.db.migrate import upgrade_to_head
    from service.db.session import create_engine

    async def run() -> None:
        engine = create_engine(get_settings().database_url)
        await upgrade_to_head(engine)
        await engine.dispose()

    asyncio.run(run())
    return 0


@asynccontextmanager
async def _migrated_session() -> AsyncIterator[AsyncSession]:
    """One transaction on the configured database, migrated first (the CLI's SessionDep)."""
    from service.db.migrate import upgrade_to_head
    from service.db.session import create_engine, create_sessionmaker
    from service.logs import configure_logging

    settings = get_settings()
    configure_logging("WARNING", settings.log_json)  # stdout carries only the command's output
    engine = create_engine(settings.database_url)
    try:
        await upgrade_to_head(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def _keys_create(args: argparse.Namespace) -> int:
    from service.access.repository import ApiKeyRepository
    from service.access.roles import Role
    from service.access.service import AccessService

    async def run() -> str:
        async with _migrated_session() as session:
            created = await AccessService().create_key(
                ApiKeyRepository(session), args.tenant, Role(args.role), args.name)
            return created.key

    key = asyncio.run(run())
    sys.stderr.write(f"Created a {args.role} key for tenant '{args.tenant}'. It is shown once; "
                     "send it as `Authorization: Bearer <key>`.\n")
    sys.stdout.write(key + "\n")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from service.access.repository import ApiKeyRepository
    from service.access.service import AccessService

    async def run() -> list[str]:
        async with _migrated_session() as session:
            records = await AccessService().list_keys(ApiKeyRepository(session), args.tenant)
            return [f"{r.id}\t{r.tenant_id}\t{r.role}\t"
                    f"{'revoked' if r.revoked_at else 'active'}\t{r.name or ''}"
                    for r in records]

    for line in asyncio.run(run()):
        sys.stdout.write(line + "\n")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from service.access.repository import ApiKeyRepository
    from service.access.service import AccessService

    async def run() -> None:
        async with _migrated_session() as session:
            await AccessService().revoke_key(ApiKeyRepository(session), args.key_id, None)

    try:
        asyncio.run(run())
    except ServiceError as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc.detail}\n")
        return 2
    return 0


def _review_export(args: argparse.Namespace) -> int:
    from service.review.repository import ReviewRepository
    from service.review.service import ReviewService
    from service.runtime import load_catalog

    service = ReviewService(load_catalog(get_settings()))

    async def run() -> list[str]:
        async with _migrated_session() as session:
            return await service.export(ReviewRepository(session), args.tenant, args.split)

    lines = asyncio.run(run())
    text = "".join(line + "\n" for line in lines)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        sys.stderr.write(f"{len(lines)} reviewed experiences written to {args.output}\n")
    else:
        sys.stdout.write(text)
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    root = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)
    extract = commands.add_parser("extract", help="extract skills from an experience JSON file")
    extract.add_argument("file")
    extract.add_argument("--pretty", action="store_true")
    extract.add_argument("--tenant", default="default", type=_tenant,
                         help="the tenant the extraction is stored for (default: default)")
    extract.set_defaults(func=_extract)
    commands.add_parser("build-index", help="build the missing taxonomy indexes").set_defaults(
        func=_build_index)
    taxonomies = commands.add_parser("taxonomies", help="taxonomy maintenance")
    tax_commands = taxonomies.add_subparsers(dest="taxonomy_command", required=True)
    compile_cmd = tax_commands.add_parser("compile", help="compile sources/*.yaml to CASE")
    compile_cmd.add_argument("--check", action="store_true", help="only report stale outputs")
    compile_cmd.set_defaults(func=_compile_taxonomies)
    import_cmd = tax_commands.add_parser(
        "import", help="import a CASE package (.json) or an ESCO-style CSV (.csv) into VAR_DIR")
    import_cmd.add_argument("file")
    import_cmd.add_argument("--id", help="taxonomy id (default: from the title)")
    import_cmd.add_argument("--title", help="framework title (required for a CSV)")
    import_cmd.add_argument("--skill-type", default="durable",
                            choices=["durable", "technical", "core"])
    import_cmd.add_argument("--default", action="store_true",
                            help="search it when a request names no taxonomies")
    import_cmd.set_defaults(func=_import_taxonomy)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    from service.evaluation.cli import register as register_eval
    register_eval(commands)
    keys = commands.add_parser("keys", help="API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key and print it (once)")
    create.add_argument("--tenant", required=True, type=_tenant)
    create.add_argument("--role", required=True, choices=["submitter", "reviewer", "admin"])
    create.add_argument("--name", help="who holds it, e.g. 'Dana, reviewer'")
    create.set_defaults(func=_keys_create)
    listing = key_commands.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--tenant", type=_tenant)
    listing.set_defaults(func=_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=_keys_revoke)
    review = commands.add_parser("review", help="reviewed data")
    review_commands = review.add_subparsers(dest="review_command", required=True)
    export = review_commands.add_parser(
        "export", help="reviewed extractions as eval data (JSON lines)")
    export.add_argument("--tenant", required=True, type=_tenant)
    export.add_argument("--split", default="review", help="the split every record gets")
    export.add_argument("--output", "-o", help="a file to write (default: stdout)")
    export.set_defaults(func=_review_export)
    return root


def _tenant(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", value):
        raise argparse.ArgumentTypeError(
            "a tenant id is 1-64 lower-case letters, digits, '.', '_' or '-'")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m service`` and the ``skill-extraction`` script."""
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code
