"""The one error a bad policy raises, with messages that name the key (and the file) at fault."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError


class PolicyConfigError(ValueError):
    """A policy (file, override or merged settings) failed validation.

    ``problems`` holds ``(key, message)`` pairs, the key dotted (``thresholds.insult``,
    ``channels.123.thresholds.threat``, ``bands.1.min``); ``source`` is the file or origin the settings
    came from (``config/x.toml``, ``guild 123 overrides``) or ``None``. ``str(error)`` reads
    ``config/x.toml: thresholds.insult: must be <= 1 (got 1.5)``, several problems joined by ``; ``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]], source: str | None = None) -> None:
        self.problems: list[tuple[str, str]] = list(problems)
        self.source = source
        super().__init__(self._render())

    @property
    def keys(self) -> list[str]:
        """The dotted keys at fault, in order."""
        return [key for key, _ in self.problems]

    def with_source(self, source: str) -> PolicyConfigError:
        """The same problems, attributed to ``source``."""
        return PolicyConfigError(self.problems, source)

    def _render(self) -> str:
        body = "; ".join(f"{key}: {message}" if key else message for key, message in self.problems)
        return f"{self.source}: {body}" if self.source else body

    @classmethod
    def from_validation(cls, error: ValidationError, source: str | None = None) -> PolicyConfigError:
        """Translate pydantic's errors into key-naming messages."""
        return cls([_describe(item) for item in error.errors()], source)


def _join(loc: Iterable[Any]) -> str:
    parts = [str(part) for part in loc if part != "[key]"]
    return ".".join(parts)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _got(value: Any) -> str:
    return f" (got {value!r})"


def _describe(item: Any) -> tuple[str, str]:
    kind: str = item["type"]
    loc: tuple[Any, ...] = tuple(item["loc"])
    ctx: dict[str, Any] = item.get("ctx") or {}
    value = item.get("input")
    key = _join(loc)
    if kind == "policy_key":
        return ".".join(part for part in (key, str(ctx["key"])) if part), str(ctx["message"])
    if loc and loc[-1] == "[key]":
        if kind == "literal_error":
            return key, f"unknown name, expected one of {ctx.get('expected', '?')}"
        if kind == "int_parsing":
            return key, "must be a numeric id"
        return key, f"bad key: {item['msg']}"
    bounds = {
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
    }
    if kind in bounds:
        symbol, name = bounds[kind]
        return key, f"must be {symbol} {_number(ctx.get(name))}{_got(value)}"
    if kind == "too_short":
        return key, f"must have at least {ctx.get('min_length')} item(s){_got(value)}"
    if kind == "too_long":
        return key, f"must have at most {ctx.get('max_length')} item(s){_got(value)}"
    if kind == "string_pattern_mismatch":
        return key, f"must match {ctx.get('pattern')}{_got(value)}"
    if kind == "extra_forbidden":
        return key, "unknown key"
    if kind == "missing":
        return key, "required"
    if kind == "enum":
        return key, f"must be one of {ctx.get('expected', '?')}{_got(value)}"
    if kind == "literal_error":
        return key, f"must be one of {ctx.get('expected', '?')}{_got(value)}"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return key, f"must be an integer{_got(value)}"
    if kind in {"float_parsing", "float_type"}:
        return key, f"must be a number{_got(value)}"
    if kind in {"bool_parsing", "bool_type"}:
        return key, f"must be true or false{_got(value)}"
    if kind in {"string_type"}:
        return key, f"must be a string{_got(value)}"
    if kind in {"list_type", "set_type", "tuple_type"}:
        return key, f"must be a list{_got(value)}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return key, f"must be a table{_got(value)}"
    if kind == "value_error":
        message = str(ctx.get("error", item["msg"]))
        return key, message
    return key, f"{item['msg']}{_got(value)}"
