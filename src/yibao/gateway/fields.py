"""Field checks of a transaction's ``input`` against ``field_rules.json``.

``tools/build_field_rules.py`` generates the rules from the interface field list (see
``docs/gateway-protocol.md``): for each transaction, each node of ``input`` (``data``,
``feedetail``, ``mdtrtinfo``, ``diseinfo`` …) and each field, its type, length or precision,
whether it is required, and its code table. The rules are read once, at first use.

:func:`check_input` stops at the first problem and raises :class:`InvalidValue` with the path of
the field (``input.feedetail[3].pric``, indexes from 0) and the reason. The rules it applies:

* a required field must be present, not ``null`` and not blank; an optional field that is absent,
  ``null`` or ``""`` is not checked further;
* ``C``: a JSON string of at most ``max_length`` characters;
* ``N``: a JSON number or a numeric string, read as ``Decimal`` by :func:`yibao.kernel.money.to_decimal`
  (scale 2 → amount, 4 → count or ratio, 6 → price), with no more decimals or integer digits
  than the precision allows;
* ``D`` and ``DT``: ``yyyy-MM-dd`` or ``yyyy-MM-dd HH:mm:ss`` (vendors mix the two forms; a bare
  date means its midnight, as in :mod:`yibao.kernel.dates`) and a real calendar day and time;
* a coded field must hold a code of its table in :data:`yibao.kernel.codes.CODE_TABLES`;
* a list node (``feedetail``, ``diseinfo``) is checked entry by entry; a single object is taken as
  a list of one. Fields a node does not list, and nodes a transaction does not list, are ignored.
* ``exp_content`` may be a JSON object (checked against the transaction's ``exp_content`` node
  when it has one) or a string of at most 4000 characters.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from yibao.gateway.envelope import json_type
from yibao.kernel.codes import CODE_TABLES
from yibao.kernel.dates import DATE_FORMAT, DATETIME_FORMAT
from yibao.kernel.errors import InvalidValue
from yibao.kernel.money import to_decimal

__all__ = [
    "FieldRule",
    "NodeRule",
    "TransactionRule",
    "check_input",
    "served_transactions",
    "transaction_rule",
]

RULES_FILE = "field_rules.json"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", re.ASCII)
_AMOUNT_SCALE = 2
_COUNT_SCALE = 4
_TIME_WORDS = {"D": "a date yyyy-MM-dd", "DT": "a time yyyy-MM-dd HH:mm:ss"}


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What one field of one node must hold."""

    name: str
    type: str
    required: bool
    max_length: int | None = None
    precision: tuple[int, int] | None = None
    code_table: str | None = None
    nested: str | None = None


@dataclass(frozen=True, slots=True)
class NodeRule:
    """One node of ``input``: an object, or a list of objects when ``is_list``."""

    name: str
    is_list: bool
    fields: tuple[FieldRule, ...]
    #: a node the rules mark optional may be absent or empty; its entries are still checked
    optional: bool = False

    @property
    def required(self) -> bool:
        """A node is required when any of its fields is, unless the rules mark it optional."""
        return not self.optional and any(field.required for field in self.fields)


@dataclass(frozen=True, slots=True)
class TransactionRule:
    """The input nodes of one transaction, and the objects its fields may nest."""

    infno: str
    name: str
    nodes: tuple[NodeRule, ...]
    nested: Mapping[str, NodeRule]


def check_input(infno: str, input: dict[str, Any]) -> None:
    """Check every node of a transaction's ``input``; raise ``InvalidValue`` at the first problem."""
    rule = transaction_rule(infno)
    if not isinstance(input, dict):
        raise InvalidValue("input", f"expected a JSON object, got {json_type(input)}")
    for node in rule.nodes:
        _check_node(rule, node, input.get(node.name), f"input.{node.name}")


def transaction_rule(infno: str) -> TransactionRule:
    """The rules of one transaction; ``InvalidValue('infno')`` if the gateway does not serve it."""
    found = _rules().get(infno)
    if found is None:
        raise InvalidValue("infno", f"unknown transaction {infno}")
    return found


def served_transactions() -> frozenset[str]:
    """Every ``infno`` that has field rules."""
    return frozenset(_rules())


def _check_node(rule: TransactionRule, node: NodeRule, value: object, path: str) -> None:
    if value is None:
        if node.required:
            raise InvalidValue(path, "missing")
        return
    if isinstance(value, list) and node.is_list:
        if not value and node.required:
            raise InvalidValue(path, "empty: at least one entry is required")
        for index, entry in enumerate(value):
            _check_object(rule, node, entry, f"{path}[{index}]")
        return
    _check_object(rule, node, value, path)


def _check_object(rule: TransactionRule, node: NodeRule, value: object, path: str) -> None:
    if not isinstance(value, dict):
        raise InvalidValue(path, f"expected a JSON object, got {json_type(value)}")
    for field in node.fields:
        _check_field(rule, field, value.get(field.name), f"{path}.{field.name}")


def _check_field(rule: TransactionRule, field: FieldRule, value: object, path: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if field.required:
            raise InvalidValue(path, "missing" if value is None else "empty")
        return
    if field.nested and isinstance(value, (dict, list)):
        _check_nested(rule, field.nested, value, path)
        return
    if field.type == "N":
        _check_number(field, value, path)
    elif field.type in _TIME_WORDS:
        _check_time(field, value, path)
    else:
        _check_string(field, value, path)


def _check_nested(
    rule: TransactionRule, name: str, value: dict[str, Any] | list[Any], path: str
) -> None:
    """An extension object (newtouch declares ``exp_content`` as a list of them)."""
    entries = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    nested = rule.nested.get(name)
    for index, entry in entries:
        where = path if index is None else f"{path}[{index}]"
        if not isinstance(entry, dict):
            raise InvalidValue(where, f"expected a JSON object, got {json_type(entry)}")
        if nested is not None:
            _check_object(rule, nested, entry, where)


def _check_string(field: FieldRule, value: object, path: str) -> None:
    if not isinstance(value, str):
        raise InvalidValue(path, f"expected a string, got {json_type(value)}")
    if field.max_length is not None and len(value) > field.max_length:
        raise InvalidValue(path, f"longer than {field.max_length} characters")
    if field.code_table is not None:
        table = CODE_TABLES[field.code_table]
        if value not in {code.value for code in table}:
            raise InvalidValue(path, f"unknown code {value!r} for {field.code_table}")


def _check_number(field: FieldRule, value: object, path: str) -> None:
    total, scale = field.precision or (16, 2)
    number = to_decimal(value, field=path, kind=_kind(total, scale))
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > scale:
        wanted = "is not a whole number" if scale == 0 else f"has more than {scale} decimal places"
        raise InvalidValue(path, f"{value} {wanted} (N{total},{scale})")
    if number and number.adjusted() + 1 > total - scale:
        raise InvalidValue(
            path, f"{value} exceeds {total - scale} integer digits (N{total},{scale})"
        )


def _kind(total: int, scale: int) -> str:
    """The ``to_decimal`` kind whose decimals cover ``scale`` (``ratio`` for the interface's N5,4)."""
    if (total, scale) == (5, 4):
        return "ratio"
    if scale <= _AMOUNT_SCALE:
        return "amount"
    return "count" if scale <= _COUNT_SCALE else "price"


def _check_time(field: FieldRule, value: object, path: str) -> None:
    words = _TIME_WORDS[field.type]
    if not isinstance(value, str):
        raise InvalidValue(path, f"expected {words}, got {json_type(value)}")
    if _DATETIME.fullmatch(value):
        fmt = DATETIME_FORMAT
    elif _DATE.fullmatch(value):
        fmt = DATE_FORMAT
    else:
        raise InvalidValue(path, f"{value!r} is not {words}")
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        raise InvalidValue(path, f"{value!r} is not {words}") from None


@functools.cache
def _rules() -> Mapping[str, TransactionRule]:
    text = resources.files("yibao.gateway").joinpath(RULES_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    return {infno: _transaction(infno, raw) for infno, raw in data["transactions"].items()}


def _transaction(infno: str, raw: Mapping[str, Any]) -> TransactionRule:
    nodes = tuple(_node(name, node) for name, node in raw["nodes"].items())
    nested = {name: _node(name, node) for name, node in raw.get("nested", {}).items()}
    return TransactionRule(infno=infno, name=raw.get("name", ""), nodes=nodes, nested=nested)


def _node(name: str, raw: Mapping[str, Any]) -> NodeRule:
    fields = tuple(_field(field, spec) for field, spec in raw["fields"].items())
    return NodeRule(
        name=name, is_list=bool(raw["list"]), fields=fields, optional=bool(raw.get("optional"))
    )


def _field(name: str, raw: Mapping[str, Any]) -> FieldRule:
    precision = raw.get("precision")
    code_table = raw.get("code_table")
    if code_table is not None and code_table not in CODE_TABLES:
        raise ValueError(f"{RULES_FILE}: field {name} names an unknown code table {code_table!r}")
    return FieldRule(
        name=name,
        type=raw["type"],
        required=bool(raw["required"]),
        max_length=raw.get("max_length"),
        precision=(int(precision[0]), int(precision[1])) if precision else None,
        code_table=code_table,
        nested=raw.get("nested"),
    )
