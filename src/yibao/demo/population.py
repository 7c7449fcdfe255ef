"""The demo region's insured population: reproducible persons across insurance and person types.

Names, birth dates and identity numbers are invented (the address part is the invented region's,
the check digit is real); about 60% are employees (some retired, some civil servants, each with a
personal account balance), 40% residents (adults, minors, elderly), 5% with a special identity.
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
#: the one employer (单位编号) of the demo employees
DEMO_EMPLOYER = "E990100000001"


@dataclass(frozen=True, slots=True)
class Population:
    """Everything the registry stores for the demo persons."""

    people: tuple[PersonRecord, ...]
    enrolments: tuple[Enrolment, ...]
    identities: tuple[Identity, ...]
    accounts: tuple[Account, ...]


def demo_population(count: int = 1200, *, seed: int = 990100) -> Population:
    """``count`` persons, the same for the same seed."""
    rng = random.Random(seed)
    people, enrolled, identities, balances = [], [], [], []
    for n in range(1, count + 1):
        person, enrolment = _person(rng, n)
        people.append(person)
        enrolled.append(enrolment)
        if enrolment.insutype == "310":
            cents = rng.randint(0, 800_000)
            balances.append(Account(person.psn_no, Decimal(cents).scaleb(-2)))
        elif rng.random() < 0.12:
            identities.append(
                Identity(person.psn_no, rng.choice(["01", "02", "03", "06"]), datetime(2025, 1, 1))
            )
    return Population(tuple(people), tuple(enrolled), tuple(identities), tuple(balances))


def _person(rng: random.Random, n: int) -> tuple[PersonRecord, Enrolment]:
    employee = rng.random() < 0.6
    if employee:
        retired = rng.random() < 0.3
        birth = _birth(rng, 1950 if retired else 1966, 1964 if retired else 2003)
        psn_type = "1201" if retired else "1101"
    else:
        birth = _birth(rng, 1935, 2024)
        psn_type = "1403" if birth.year >= 2008 else "1501"
    gend = rng.choice("12")
    psn_no = f"{_REGION}{n:08d}"
    first17 = f"{_REGION[:4]}{rng.randint(1, 9):02d}{birth:%Y%m%d}{rng.randint(0, 99):02d}"
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
        insuplc_admdvs=_REGION,
        begndate=date(2020, 1, 1),
        emp_name="示范市演示单位" if employee else "",
        emp_no=DEMO_EMPLOYER if employee else None,
        # a base that does not draw on ``rng``, so the rest of the population stays as it was
        contribution_base=Decimal(4000 + n * 137 % 120 * 100) if psn_type == "1101" else None,
    )
    return person, enrolment


def _birth(rng: random.Random, first: int, last: int) -> date:
    return date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))
