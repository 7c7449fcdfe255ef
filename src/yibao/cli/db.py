"""``yibao db …``: the database's schema."""

from __future__ import annotations

import typer

from yibao.bootstrap import bootstrap
from yibao.cli.errors import reporting
from yibao.store.migrate import current_revision, head_revision, upgrade

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True, help="The database (YIBAO_DATABASE_URL; default var/yibao.db)."
)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every migration the database does not have yet."""
    with reporting():
        services = bootstrap()
        upgrade(services.engine)
        typer.echo(
            f"database at revision {current_revision(services.engine)} (head {head_revision()})"
        )
