"""``python -m yibao``: the same command as the installed ``yibao`` script."""

from yibao.cli.main import app

app(prog_name="yibao")
