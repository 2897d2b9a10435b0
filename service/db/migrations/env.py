"""Alembic environment: migrations run on the connection the service hands over."""

from __future__ import annotations

from alembic import context

from service.db import models  # noqa: F401  (registers the tables)
from service.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through service.db.migrate (python -m service db upgrade)")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
