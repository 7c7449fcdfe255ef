"""The demo regions' insured population: reproducible persons across insurance and person types.

Names, birth dates and identity numbers are invented (the address part is the invented region's,
the check digit is real); about 60% are employees (some retired, some civil servants, each with a
personal account balance), 40% residents (adults, minors, elderly), 5% with a special identity.
Most are insured in 示范市 990100; one in twenty as many again are insured in each of 示范二市
990200 and 邻省市 980100, appended after them (drawn from a generator of their own, so the
990100 persons are those of a population without them), for out-of-area visits (异地就医).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from yibao.registry.model import Account, Enrolment, Identity, PersonRecord, resident_id_check_digit

__all__ = ["DEMO_EMPLOYER", "Population", "demo_population"]

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志珍晓东海燕玉梅春淑德宏文"
_REGION = "990100"
#: the one employer (单位编号) of the demo employees of 990100
DEMO_EMPLOYER = "E990100000001"
#: the other regions' persons: name of the region's demo employer; each region's persons are
#: drawn from ``random.Random(int(region))`` and numbered from 1 (``psn_no`` region + 8 digits)
OTHER_REGIONS = {"990200": "示范二市演示单位", "980100": "邻省市演示单位"}
#: persons of 990100 per person of each other region
OTHER_REGION_RATIO = 20


@dataclass(frozen=True, slots=True)
class Population:
    """Everything the registry stores for the demo persons."""

    people: tuple[PersonRecord, ...]
    enrolments: tuple[Enrolment, ...]
    identities: tuple[Identity, ...]
    accounts: tuple[Account, ...]


def demo_population(count: int = 1200, *, seed: int = 990100) -> Population:
    """``count`` persons insured in 990100, the same for the same seed, then the other regions'.

    Each other region adds ``count // OTHER_REGION_RATIO`` persons (60 each for 1,200).
    """
    people: list[PersonRecord] = []
    enrolled: list[Enrolment] = []
    identities: list[Identity] = []
    balances: list[Account] = []
    regions = [(_REGION, count, random.Random(seed))] + [
        (region, count // OTHER_REGION_RATIO, random.Random(int(region)))
        for region in OTHER_REGIONS
    ]
    for region, persons, rng in regions:
        for n in range(1, persons + 1):
            person, enrolment = _person(rng, n, region)
            people.append(person)
            enrolled.append(enrolment)
            if enrolment.insutype == "310":
                cents = rng.randint(0, 800_000)
                balances.append(Account(person.psn_no, Decimal(cents).scaleb(-2)))
            elif rng.random() < 0.12:
                identities.append(Identity(person.psn_no, rng.choice(["01", "02", "03", "06"]),
                                           datetime(2025, 1, 1)))  # fmt: skip
    return Population(tuple(people), tuple(enrolled), tuple(identities), tuple(balances))


def _person(rng: random.Random, n: int, region: str) -> tuple[PersonRecord, Enrolment]:
    employee = rng.random() < 0.6
    if employee:
        retired = rng.random() < 0.3
        birth = _birth(rng, 1950 if retired else 1966, 1964 if retired else 2003)
        psn_type = "1201" if retired else "1101"
    else:
        birth = _birth(rng, 1935, 2024)
        psn_type = "1403" if birth.year >= 2008 else "1501"
    gend = rng.choice("12")
    psn_no = f"{region}{n:08d}"
    first17 = f"{region[:4]}{rng.randint(1, 9):02d}{birth:%Y%m%d}{rng.randint(0, 99):02d}"
    first17 += str(rng.choice("13579" if gend == "1" else "02468"))
    person = PersonRecord(
        psn_no=psn_no,
        psn_cert_type="01",
        certno=first17 + resident_id_check_digit(first17),
        psn_name=rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.randint(1, 2))),
        gend=gend,
        brdy=birth,
    )
    enrolment = Enrolment(
        psn_no=psn_no,
        insutype="310" if employee else "390",
        psn_type=psn_type,
        cvlserv_flag=employee and rng.random() < 0.08,
        insuplc_admdvs=region,
        begndate=date(2020, 1, 1),
        emp_name=OTHER_REGIONS.get(region, "示范市演示单位") if employee else "",
        emp_no=f"E{region}000001" if employee else None,
        # a base that does not draw on ``rng``, so the rest of the population stays as it was
        contribution_base=Decimal(4000 + n * 137 % 120 * 100) if psn_type == "1101" else None,
    )
    return person, enrolment


def _birth(rng: random.Random, first: int, last: int) -> date:
    return date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))
