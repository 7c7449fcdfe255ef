"""Alembic migrations of the yibao schema (run through ``yibao.store.migrate``)."""
