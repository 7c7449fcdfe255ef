"""Bring a database to the current schema with Alembic, and say where it stands.

The migration scripts ship inside the package (``yibao/store/migrations``), so ``yibao db
upgrade`` works from any directory with no ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from yibao.kernel.errors import ConflictError

__all__ = ["current_revision", "head_revision", "require_current_schema", "upgrade"]

_SCRIPTS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` in one transaction."""
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    """The newest migration shipped with this version of yibao."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration a database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that is not at this version's schema."""
    if current_revision(engine) != head_revision():
        raise ConflictError(
            "the database is not at the current schema: run `yibao db upgrade` first"
        )
