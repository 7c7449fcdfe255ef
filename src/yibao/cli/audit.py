"""``yibao audit …``: the rule base (check it, import the national batches)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yibao.audit.service import check_rule_base, import_national_rules, shipped_rule_base_dir
from yibao.cli.audit_review import REVIEW_COMMANDS
from yibao.cli.audit_run import run_command
from yibao.cli.errors import reporting
from yibao.cli.output import console
from yibao.kernel.dates import parse_date

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Intelligent audit: the rule base (智能审核).")
for _name, _command in REVIEW_COMMANDS.items():  # queue, case, answer, … (audit_review)
    app.command(_name)(_command)
app.command("run")(run_command)


@app.command("check")
def check_command(
    directory: Annotated[
        Path | None, typer.Argument(help="A rule base directory (default: the shipped one).")
    ] = None,
) -> None:
    """Load a rule base as the engine does; name the file, rule and reason of every problem."""
    with reporting():
        found = check_rule_base(directory=directory or shipped_rule_base_dir())
        console.print(found.summary(), markup=False)


@app.command("import-national")
def import_national_command(
    src_dir: Annotated[Path, typer.Argument(help="The two_libraries CSV directory.")],
    out_dir: Annotated[Path, typer.Argument(help="Rule base directory to write (replaced whole).")],
    begin: Annotated[str | None, typer.Option(help="First day of the rules, YYYY-MM-DD.")] = None,
) -> None:
    """Import the national rule batches (两库, 14 batches, both sheets) with a report."""
    with reporting():
        day = None if begin is None else parse_date(begin, field="--begin")
        report = import_national_rules(src_dir, out_dir, begin=day)
        console.print(report.summary(), markup=False)
