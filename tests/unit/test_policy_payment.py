"""The optional ``[payment]`` section: item or DRG per region, with exceptions per institution."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from yibao.kernel.errors import RejectedFile
from yibao.policy.formats import load_policy_file, parse_policy
from yibao.policy.model import CasePayment, Clause, PaymentMethod, Policy
from yibao.policy.service import demo_policy_dir

DEMO = demo_policy_dir() / "990100" / "2026.toml"
DRG_REGION = """
[payment]
method = "drg"
drg_weight_version = 1
[payment.institutions]
H99010000002 = "item"
"""


def with_payment(payment: object) -> dict[str, Any]:
    raw = tomllib.loads(DEMO.read_text(encoding="utf-8"), parse_float=Decimal)
    raw["payment"] = payment
    return raw


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(RejectedFile) as caught:
        parse_policy(raw, source="p.toml")
    return [f"{p.column}: {p.reason}" for p in caught.value.problems]


def test_without_a_section_everyone_is_paid_by_item_with_no_version() -> None:
    policy = load_policy_file(DEMO, name="990100/2026.toml")
    payment = policy.payment
    assert payment.method is PaymentMethod.ITEM and payment.drg_weight_version is None
    assert payment.method_for("H99010000001") is PaymentMethod.ITEM
    assert payment.clause == Clause("990100/2026.toml", "payment")


def test_a_policy_built_directly_defaults_to_item() -> None:
    policy = Policy("990100", "x", "v", date(2026, 1, 1), None, "d", "f", frozenset(), {})
    assert policy.payment.method_for("H1") is PaymentMethod.ITEM
    assert policy.payment.drg_weight_version is None


def test_a_drg_region_pays_its_exceptions_by_item() -> None:
    raw = tomllib.loads(DEMO.read_text(encoding="utf-8") + DRG_REGION, parse_float=Decimal)
    payment = parse_policy(raw, source="p.toml").payment
    assert payment == CasePayment(
        PaymentMethod.DRG,
        {"H99010000002": PaymentMethod.ITEM},
        1,
        Clause("p.toml", "payment"),
    )
    assert payment.method_for("H99010000001") is PaymentMethod.DRG
    assert payment.method_for("H99010000002") is PaymentMethod.ITEM


def test_an_item_region_with_one_drg_institution_needs_a_version() -> None:
    raw = with_payment({"institutions": {"H99010000001": "drg"}, "drg_weight_version": 3})
    payment = parse_policy(raw, source="p.toml").payment
    assert payment.method_for("H99010000001") is PaymentMethod.DRG
    assert payment.method_for("H99010000002") is PaymentMethod.ITEM
    assert payment.drg_weight_version == 3
    found = problems(with_payment({"institutions": {"H99010000001": "drg"}}))
    assert found == [
        "payment.drg_weight_version: required when an institution is paid by drg (H99010000001)"
    ]


NOT_INT = "Input should be a valid integer"
DIP = "dip (按病种分值付费) is not yet supported by the clearing"
NOT_CODE = "is not an institution code"


@pytest.mark.parametrize(
    ("payment", "expected"),
    [
        ({"method": "drg"}, "payment.drg_weight_version: required when method = drg"),
        ({"method": "fee"}, "payment.method: unknown code 'fee'"),
        ({"method": "dip"}, f"payment.method: {DIP}"),
        ({"institutions": {"H1": "dip"}}, f"payment.institutions.H1: {DIP}"),
        ({"method": "drg", "drg_weight_version": 0}, "payment.drg_weight_version: Input should be greater than 0"),
        ({"method": "drg", "drg_weight_version": Decimal("1.5")}, f"payment.drg_weight_version: {NOT_INT}"),
        ({"method": "drg", "drg_weight_version": "1"}, f"payment.drg_weight_version: {NOT_INT}"),
        ({"method": "drg", "drg_weight_version": True}, f"payment.drg_weight_version: {NOT_INT}"),
        ({"method": "item", "weights": 1}, "payment.weights: Extra inputs are not permitted"),
        ({"institutions": {"": "item"}}, f"payment.institutions: '' {NOT_CODE}"),
        ({"institutions": {"H" * 31: "item"}}, f"payment.institutions: '{'H' * 31}' {NOT_CODE}"),
    ],
)  # fmt: skip
def test_a_bad_payment_section_is_refused_naming_the_key(payment: object, expected: str) -> None:
    found = problems(with_payment(payment))
    assert len(found) == 1 and found[0].startswith(expected), found
