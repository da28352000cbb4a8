"""Config errors and their one-line messages.

A config that cannot be used raises :class:`ConfigError`, whose message is one line for the user;
:func:`format_validation_error` turns pydantic's account of an invalid config into that line,
naming the field path and the offending value.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .yaml_reader import describe


class ConfigError(Exception):
    """A config that cannot be used; the message is one line for the user."""


def _describe(value: Any) -> str:
    return describe(value)


def _field_path(data: Any, loc: tuple) -> list[str]:
    """The config keys in a pydantic error location, without pydantic's own branch labels."""
    node, parts = data, []
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue  # a union branch or validator name, not a key of the config
        parts.append(_short_key(part))
    return parts


def _short_key(part: Any, limit: int = 60) -> str:
    """A key as shown in a message: whole if short, else its start, its end and its length."""
    text = str(part)
    return text if len(text) <= limit else f"{text[:25]}...{text[-25:]} ({len(text):,} characters)"


def format_validation_error(source: str, err: ValidationError, data: Any = None) -> str:
    """One line naming the first invalid field, its value and what is wrong."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    parts = _field_path(data, loc) if data is not None else [_short_key(p) for p in loc]
    msg = first["msg"].replace("Value error, ", "")
    if first["type"] in ("missing", "extra_forbidden") and loc:
        if not parts or parts[-1] != _short_key(loc[-1]):
            parts.append(_short_key(loc[-1]))
        what = "required field missing" if first["type"] == "missing" else "unknown field"
        return f"{source}: {'.'.join(parts)}: {what}"
    if not parts:
        return f"{source}: {msg}"
    return f"{source}: {'.'.join(parts)} = {_describe(first.get('input'))}: {msg}"
