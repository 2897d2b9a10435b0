"""Persistence: SQLAlchemy 2 (async) with Alembic migrations; SQLite by default."""
