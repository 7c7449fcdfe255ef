"""Load the demo regions into a migrated database, and describe them for outside clients.

``yibao demo load`` writes, in one transaction: the three demo regions (示范市 990100, 示范二市
990200 in the same invented province, 邻省市 980100 in another one, for out-of-area care), their
institutions with gateway credentials and receiving accounts, their catalogues, their policy versions (the files' text)
and the demo population.
``yibao demo info --json`` prints what a client needs to drive the gateway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from yibao.catalog.queries import save_mappings
from yibao.catalog.repository import (
    save_catalog_entries,
    save_credential,
    save_institutions,
    save_region,
)
from yibao.catalog.service import CatalogData
from yibao.catalog.tables import credentials, institutions
from yibao.clearing.payments import set_account
from yibao.demo.population import demo_population
from yibao.kernel.errors import ConflictError
from yibao.policy.repository import save_policy_version
from yibao.policy.service import demo_policy_dir, load_policy_book
from yibao.registry.repository import save_people
from yibao.registry.tables import enrolments, persons

__all__ = ["DemoLoad", "demo_info", "demo_loaded", "demo_token", "load_demo"]

#: the demo regions, all invented (no real region uses province code 99 or 98)
#: the bank of the demo institutions' receiving accounts (invented, like their numbers)
DEMO_BANK = "示范银行示范市分行"
REGIONS = {"990100": "示范市", "990200": "示范二市", "980100": "邻省市"}
_LOADED_AT = datetime(2026, 1, 1)


@dataclass(frozen=True, slots=True)
class DemoLoad:
    """What ``load_demo`` wrote."""

    regions: int
    institutions: int
    catalog_entries: int
    policy_versions: int
    persons: int

    def summary(self) -> str:
        return (
            f"demo loaded: {self.regions} regions, {self.institutions} institutions with "
            f"credentials, {self.catalog_entries} catalogue entries, "
            f"{self.policy_versions} policy versions, {self.persons} persons"
        )


def demo_token(fixmedins_code: str) -> str:
    """The demo credential of an institution: derived, public, for the demo only."""
    return hashlib.sha256(f"yibao-demo-token:{fixmedins_code}".encode()).hexdigest()[:32]


def demo_account_no(fixmedins_code: str) -> str:
    """The demo receiving account of an institution: 19 digits derived from its code, invented."""
    return "6" + str(int(hashlib.sha256(fixmedins_code.encode()).hexdigest(), 16))[:18]


def demo_loaded(connection: Connection) -> bool:
    """Whether the database already holds institutions (the demo or anything else)."""
    return connection.execute(select(institutions.c.fixmedins_code).limit(1)).first() is not None


def load_demo(
    connection: Connection, *, catalog: CatalogData, persons_count: int = 1200
) -> DemoLoad:
    """Write the demo regions into an empty, migrated database.

    ``persons_count`` is the number of persons insured in 990100; the population adds one in
    twenty as many insured in each other region (``yibao.demo.population``).
    """
    if demo_loaded(connection):
        raise ConflictError(
            "the database already holds institutions; load the demo into an empty one"
        )
    for admdvs, name in REGIONS.items():
        save_region(connection, admdvs=admdvs, name=name)
    save_institutions(connection, catalog.institutions.values())
    for code in catalog.institutions:
        save_credential(
            connection,
            paasid=f"paas-{code}",
            fixmedins_code=code,
            token=demo_token(code),
            valid_from=_LOADED_AT,
        )
        set_account(connection, fixmedins_code=code, bank_name=DEMO_BANK, account_no=demo_account_no(code),
                    account_name=catalog.institutions[code].fixmedins_name, actor="demo", now=_LOADED_AT)  # fmt: skip
    entries = sum(save_catalog_entries(connection, c.entries()) for c in catalog.catalogs.values())
    save_mappings(connection, catalog.mappings)
    directory = demo_policy_dir()
    book = load_policy_book(directory=directory)
    for policy in book.policies:
        text = (directory / policy.source_file).read_text(encoding="utf-8")
        save_policy_version(connection, policy=policy, content=text, loaded_at=_LOADED_AT)
    population = demo_population(persons_count)
    save_people(
        connection,
        people=population.people,
        enrolled=population.enrolments,
        identities=population.identities,
        balances=population.accounts,
    )
    return DemoLoad(
        len(REGIONS), len(catalog.institutions), entries, len(book.policies), len(population.people)
    )


def demo_info(connection: Connection, *, base_url: str) -> dict[str, Any]:
    """``{"base_url", "institutions": [...], "persons": [...]}`` exactly as issue B specifies."""
    inst = connection.execute(
        select(institutions, credentials.c.paasid, credentials.c.token)
        .join(credentials, credentials.c.fixmedins_code == institutions.c.fixmedins_code)
        .order_by(institutions.c.fixmedins_code)
    )
    people = connection.execute(
        select(persons, enrolments.c.insutype, enrolments.c.psn_type, enrolments.c.insuplc_admdvs)
        .join(enrolments, enrolments.c.psn_no == persons.c.psn_no)
        .order_by(persons.c.psn_no)
    )
    return {
        "base_url": base_url,
        "institutions": [
            {"fixmedins_code": r.fixmedins_code, "fixmedins_name": r.fixmedins_name,
             "hosp_lv": r.hosp_lv, "admdvs": r.admdvs, "paasid": r.paasid, "token": r.token}
            for r in inst
        ],
        "persons": [
            {"psn_no": r.psn_no, "certno": r.certno, "psn_name": r.psn_name, "gend": r.gend,
             "brdy": r.brdy.isoformat(), "insutype": r.insutype, "psn_type": r.psn_type,
             "insuplc_admdvs": r.insuplc_admdvs}
            for r in people
        ],
    }  # fmt: skip
