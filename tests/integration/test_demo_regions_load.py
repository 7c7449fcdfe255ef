"""``load_demo`` writes the three demo regions (issue E), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from yibao.catalog.repository import load_institutions
from yibao.catalog.service import demo_store
from yibao.catalog.tables import catalog_entries, credentials, regions
from yibao.demo.load import demo_info, load_demo
from yibao.policy.tables import policy_versions
from yibao.registry.tables import enrolments
from yibao.store.engine import make_engine
from yibao.store.migrate import upgrade


def test_the_demo_load_writes_every_region(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        done = load_demo(connection, catalog=demo_store().load(), persons_count=1000)
    assert (done.regions, done.institutions, done.catalog_entries) == (3, 18, 44815)
    assert (done.policy_versions, done.persons) == (6, 1100)
    with engine.connect() as connection:
        written = {r.admdvs: (r.name, r.province) for r in connection.execute(select(regions))}
        per_region: dict[str, int] = dict(
            connection.execute(
                select(catalog_entries.c.admdvs, func.count()).group_by(catalog_entries.c.admdvs)
            ).all()
        )
        stored = load_institutions(connection)
        keys = connection.execute(select(func.count()).select_from(credentials)).scalar_one()
        versions = sorted(
            (r.region, r.version)
            for r in connection.execute(select(policy_versions.c.region, policy_versions.c.version))
        )
        insured = Counter(r[0] for r in connection.execute(select(enrolments.c.insuplc_admdvs)))
        info = demo_info(connection, base_url="http://demo")
    engine.dispose()
    assert written == {"990100": ("示范市", "99"), "990200": ("示范二市", "99"),
                       "980100": ("邻省市", "98")}  # fmt: skip
    assert per_region == {"990100": 14939, "990200": 14938, "980100": 14938}
    assert keys == len(stored) == 18
    assert {code for code, i in stored.items() if not i.remote_enabled} == {
        "H99010000005", "H99020000003", "H98010000003"
    }  # fmt: skip
    assert Counter(i.admdvs for i in stored.values()) == {"990100": 8, "990200": 5, "980100": 5}
    assert versions == [(region, year) for region in ("980100", "990100", "990200")
                        for year in ("2025", "2026")]  # fmt: skip
    assert insured == {"990100": 1000, "990200": 50, "980100": 50}
    assert Counter(p["insuplc_admdvs"] for p in info["persons"]) == insured
    assert {i["admdvs"] for i in info["institutions"]} == {"990100", "990200", "980100"}
