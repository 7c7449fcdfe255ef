"""Persistence: one SQLAlchemy metadata, exact column types, the engine, units of work, migrations."""
