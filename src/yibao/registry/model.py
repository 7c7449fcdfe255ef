"""Registry values as settlement reads them: a person, an enrolment, a special identity, an account.

Pure. Issue C completes the registry (families, premiums, filings) around these records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "Account", "EmployeeRates", "Enrolment", "Identity", "PersonRecord", "resident_id_check_digit",
]  # fmt: skip

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person (人员基本信息)."""

    psn_no: str
    psn_cert_type: str
    certno: str
    psn_name: str
    gend: str
    brdy: date


@dataclass(frozen=True, slots=True)
class Enrolment:
    """One insurance type a person is enrolled in (参保信息)."""

    psn_no: str
    insutype: str
    psn_type: str
    cvlserv_flag: bool
    insuplc_admdvs: str
    begndate: date
    enddate: date | None = None
    emp_name: str = ""
    #: employees in work: the monthly contribution base (缴费基数) their account credit comes from
    contribution_base: Decimal | None = None
    #: employees: the employer's code (单位编号) whose contributions cover them
    emp_no: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """A special identity with its dates (人员身份: 低保, 特困 …)."""

    psn_no: str
    psn_idet_type: str
    begntime: datetime
    endtime: datetime | None = None
    #: 人员身份等级 where the identity has one (重度残疾人: 残疾等级 1 or 2)
    psn_type_lv: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """A personal account's balance (个人账户)."""

    psn_no: str
    balance: Decimal


@dataclass(frozen=True, slots=True)
class EmployeeRates:
    """职工医保缴费率: the shares of the contribution base an employer pays each month for an
    employee in work, its own (单位缴费) and the employee's that it withholds (个人缴费)."""

    employer_rate: Decimal
    personal_rate: Decimal


def resident_id_check_digit(first17: str) -> str:
    """The 18th character of a resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]
