"""The composition root: settings in, the services' collaborators out. Nothing happens at import.

Entry points (the CLI now; the gateway, API and web console later) call :func:`bootstrap` once
and pass what it returns to the services; no other module reads settings or builds stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from yibao.audit.formats import load_rule_base
from yibao.audit.model import RuleBase
from yibao.audit.service import shipped_rule_base_dir
from yibao.catalog.service import CatalogData, CatalogStore, demo_store
from yibao.policy.model import PolicyBook
from yibao.policy.service import demo_policy_dir, load_policy_book
from yibao.settings import Settings
from yibao.store.engine import make_engine, sqlite_url

__all__ = ["Services", "bootstrap"]


@dataclass(frozen=True)
class Services:
    """What the use cases need, loaded on first use."""

    settings: Settings

    @property
    def policy_dir(self) -> Path:
        return self.settings.policy_dir or demo_policy_dir()

    @cached_property
    def catalog_store(self) -> CatalogStore:
        directory = self.settings.catalog_dir
        return demo_store() if directory is None else CatalogStore(directory)

    @cached_property
    def rule_base(self) -> RuleBase:
        return load_rule_base(self.settings.rule_dir or shipped_rule_base_dir())

    @cached_property
    def policies(self) -> PolicyBook:
        return load_policy_book(directory=self.policy_dir)

    @cached_property
    def catalog(self) -> CatalogData:
        return self.catalog_store.load()

    @property
    def database_url(self) -> str:
        return self.settings.database_url or sqlite_url(self.settings.var_dir / "yibao.db")

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.database_url)


def bootstrap(settings: Settings | None = None) -> Services:
    """Build the services for ``settings`` (default: read from the environment now)."""
    return Services(settings or Settings())
