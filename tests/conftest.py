"""Test-wide settings: a float mixed into Decimal arithmetic raises instead of rounding silently."""

from __future__ import annotations

import decimal

import pytest


def pytest_configure(config: pytest.Config) -> None:
    decimal.getcontext().traps[decimal.FloatOperation] = True
    decimal.DefaultContext.traps[decimal.FloatOperation] = True


@pytest.fixture(autouse=True)
def _float_trap() -> None:
    decimal.getcontext().traps[decimal.FloatOperation] = True
