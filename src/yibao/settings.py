"""Typed settings, read from ``YIBAO_*`` environment variables when asked, never at import time.

``policy_dir`` and ``catalog_dir`` default to the demo region shipped with the package, so a fresh
checkout settles demo visits with no configuration at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Where yibao finds its data. ``YIBAO_POLICY_DIR=/etc/yibao/policies`` overrides one field."""

    model_config = SettingsConfigDict(env_prefix="YIBAO_", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    policy_dir: Path | None = None
    catalog_dir: Path | None = None
    #: the audit rule base directory (default: the rule base shipped with the package)
    rule_dir: Path | None = None
    #: whether settlement audits each visit in real time (事中审核)
    audit: bool = True
    #: SQLAlchemy URL; the default is an SQLite file in ``var/`` (WAL mode).
    database_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    #: the agency's region code, the first six digits of every ``inf_refmsgid``
    region: str = "990100"
