"""Command-line entry points (Typer): thin commands that call one service each."""
