"""A tiny evaluator of the Excel formulas planbook writes, so the tests can run them
without a spreadsheet.

It knows only the grammar planbook generates: ``IF`` (lazy, three arguments), ``AND``,
``NOT``, ``ISNUMBER``, ``INT``, ``DATE``; the operators ``=``, ``<``, ``<=`` and ``-``;
string literals (``""`` doubled inside), whole-number literals, cell references
(``H5``, ``$H$5``) and workbook names, both bound from dictionaries. Anything else (a
function, an operator, a name or a cell it was not given) raises ``UnsupportedFormulaError``, and
what Excel would answer with ``#VALUE!`` raises ``ExcelValueError``: a test built on it
cannot pass by evaluating something it does not understand.

Values are Excel's: numbers (dates as serials), text, TRUE/FALSE, and None for an empty
cell. As in Excel, ``=`` on text ignores case; comparing values of different types orders
numbers before text before TRUE/FALSE (an empty cell is 0 beside a number, "" beside text).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Value = float | int | str | bool | None

_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (1900 date system, after 1 March 1900)


class UnsupportedFormulaError(ValueError):
    """The formula uses something this evaluator does not know."""


class ExcelValueError(ValueError):
    """Excel would show an error (``#VALUE!``) here."""


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<number>[0-9]+)(?![0-9A-Za-z_.])
  | (?P<cell>\$?[A-Z]{1,3}\$?[0-9]{1,7})(?![0-9A-Za-z_(.])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|[=<\-(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(formula: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(formula):
        match = _TOKEN.match(formula, position)
        if match is None:
            raise UnsupportedFormulaError(f"cannot read {formula[position:]!r} in {formula!r}")
        position = match.end()
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(_Token(kind, match.group()))
    return tokens


# The parsed formula: a tree of tuples, evaluated lazily (IF evaluates one branch only).
Node = tuple[object, ...]


class _Parser:
    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens = _tokens(formula)
        self.at = 0

    def parse(self) -> Node:
        node = self.comparison()
        if self.at != len(self.tokens):
            raise UnsupportedFormulaError(
                f"unexpected {self.tokens[self.at].text!r} in {self.formula!r}"
            )
        return node

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (text is not None and token.text != text):
            raise UnsupportedFormulaError(f"expected {text or 'more'} in {self.formula!r}")
        self.at += 1
        return token

    def comparison(self) -> Node:
        left = self.additive()
        token = self.peek()
        if token is not None and token.text in ("=", "<", "<="):
            self.take()
            return ("compare", token.text, left, self.additive())
        return left

    def additive(self) -> Node:
        node = self.primary()
        while (token := self.peek()) is not None and token.text == "-":
            self.take()
            node = ("minus", node, self.primary())
        return node

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return ("literal", token.text[1:-1].replace('""', '"'))
        if token.kind == "number":
            return ("literal", int(token.text))
        if token.kind == "cell":
            return ("cell", token.text.replace("$", ""))
        if token.text == "(":
            node = self.comparison()
            self.take(")")
            return node
        if token.kind == "word":
            following = self.peek()
            if following is not None and following.text == "(":
                self.take("(")
                arguments: list[Node] = []
                if (self.peek() or _Token("", "")).text != ")":
                    arguments.append(self.comparison())
                    while (self.peek() or _Token("", "")).text == ",":
                        self.take(",")
                        arguments.append(self.comparison())
                self.take(")")
                return ("call", token.text.upper(), *arguments)
            return ("name", token.text)
        raise UnsupportedFormulaError(f"unexpected {token.text!r} in {self.formula!r}")


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Value) -> float:
    """A value used as a number, as Excel's arithmetic takes it (strictly: no text)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if _is_number(value):
        return value  # type: ignore[return-value]
    raise ExcelValueError(f"#VALUE!: {value!r} is not a number")


def _truth(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if _is_number(value):
        return value != 0
    raise ExcelValueError(f"#VALUE!: {value!r} is not TRUE or FALSE")


def _and(*values: Value) -> bool:
    """Excel's AND reads every argument (it does not stop at the first FALSE)."""
    truths = [_truth(value) for value in values]
    return all(truths)


def _rank(value: Value) -> int:
    if isinstance(value, bool):
        return 2
    return 1 if isinstance(value, str) else 0


def _compare(operator: str, left: Value, right: Value) -> bool:
    # An empty cell is "" beside text, FALSE beside TRUE/FALSE, else 0.
    if left is None:
        left = "" if isinstance(right, str) else False if isinstance(right, bool) else 0
    if right is None:
        right = "" if isinstance(left, str) else False if isinstance(left, bool) else 0
    if _rank(left) != _rank(right):
        key_left, key_right = _rank(left), _rank(right)
    elif isinstance(left, str) and isinstance(right, str):
        key_left, key_right = left.casefold(), right.casefold()
    else:
        key_left, key_right = left, right
    if operator == "=":
        return key_left == key_right
    if operator == "<":
        return key_left < key_right  # type: ignore[operator]
    if operator == "<=":
        return key_left <= key_right  # type: ignore[operator]
    raise UnsupportedFormulaError(f"operator {operator!r}")


def _date(year: Value, month: Value, day: Value) -> int:
    parts = [_number(year), _number(month), _number(day)]
    if not all(float(part).is_integer() for part in parts):
        raise UnsupportedFormulaError(f"DATE of non-whole numbers {parts}")
    try:
        return (dt.date(*(int(part) for part in parts)) - _EPOCH).days
    except ValueError as error:  # Excel rolls 31 April over to 1 May: planbook never asks
        raise UnsupportedFormulaError(f"DATE{tuple(parts)}: {error}") from error


class _Evaluator:
    def __init__(self, cells: Mapping[str, Value], names: Mapping[str, Value]) -> None:
        self.cells, self.names = cells, names

    def __call__(self, node: Node) -> Value:
        kind = node[0]
        if kind == "literal":
            return node[1]  # type: ignore[return-value]
        if kind == "cell":
            reference = str(node[1])
            if reference not in self.cells:
                raise UnsupportedFormulaError(f"cell {reference} was not given")
            return self.cells[reference]
        if kind == "name":
            name = str(node[1])
            if name not in self.names:
                raise UnsupportedFormulaError(f"name {name} was not given")
            return self.names[name]
        if kind == "compare":
            return _compare(str(node[1]), self(node[2]), self(node[3]))  # type: ignore[arg-type]
        if kind == "minus":
            return _number(self(node[1])) - _number(self(node[2]))  # type: ignore[arg-type]
        if kind == "call":
            return self.call(str(node[1]), node[2:])  # type: ignore[arg-type]
        raise UnsupportedFormulaError(f"node {kind!r}")

    def call(self, function: str, arguments: tuple[Node, ...]) -> Value:
        if function == "IF":  # lazy: only the branch taken is evaluated
            self.arity(function, arguments, 3)
            condition, then, otherwise = arguments
            return self(then) if _truth(self(condition)) else self(otherwise)
        strict: dict[str, tuple[int | None, Callable[..., Value]]] = {
            "AND": (None, _and),
            "NOT": (1, lambda value: not _truth(value)),
            "ISNUMBER": (1, _is_number),
            "INT": (1, lambda value: math.floor(_number(value))),
            "DATE": (3, _date),
        }
        if function not in strict:
            raise UnsupportedFormulaError(f"function {function}")
        count, implementation = strict[function]
        if count is None:
            if not arguments:
                raise UnsupportedFormulaError(f"{function} with no arguments")
        else:
            self.arity(function, arguments, count)
        return implementation(*(self(argument) for argument in arguments))

    @staticmethod
    def arity(function: str, arguments: tuple[Node, ...], count: int) -> None:
        if len(arguments) != count:
            raise UnsupportedFormulaError(
                f"{function} takes {count} arguments, not {len(arguments)}"
            )


def evaluate(
    formula: str, cells: Mapping[str, Value] | None = None, names: Mapping[str, Value] | None = None
) -> Value:
    """The value of ``formula`` (with or without its leading ``=``) given the ``cells`` it
    reads (reference -> value, None for an empty cell) and the workbook ``names``."""
    text = formula[1:] if formula.startswith("=") else formula
    tree = _Parser(text).parse()
    return _Evaluator(cells or {}, names or {})(tree)
