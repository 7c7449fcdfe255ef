"""Benchmarks run by ``yibao bench``: each prints its figures in one line a script can read."""
