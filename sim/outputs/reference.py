"""Reference pages generated from the code: the configuration schema and the command line.

The configuration reference walks the pydantic models of a config file
(``sim.inputs.config.Config``, ``sim.inputs.business_case.BusinessCase``, ...) and
sets beside every field its type, bounds, shipped default and, from the
provenance registry (``configs/provenance.yaml``), its unit, provenance tag and
source note. The command reference walks an ``argparse`` parser, which the
caller builds and passes in (this stage does not import the command line on top
of it). Neither page is written by hand, so neither can drift from the code: a
field or a command added later appears on its own, and
``fields_without_text`` / ``commands_without_help`` name any that lacks words.

A field's words are, in this order: its ``Field(description=...)``, the
docstring written under it in its class (the attribute-docstring convention
``config.py`` already uses), or its provenance note.
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import operator
import textwrap
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..inputs.provenance import Provenance


# ------------------------------------------------------------ the schema ----
@dataclass(frozen=True)
class FieldRef:
    """One parameter of a config file as the reference lists it."""

    path: str
    """Dotted path in the config file (``<name>`` stands for a key the user chooses)."""
    kind: str
    """The type in words (``share``, ``whole number``, ``distribution``, ...)."""
    bounds: str
    """Allowed values in words, from the schema's constraints; empty when any value of the type will do."""
    optional: bool
    """``null`` is allowed (the block or value may be left out)."""
    text: str
    """What the field is: its description or docstring in the schema."""


def _constraints(metadata) -> dict[str, Any]:
    """The numeric and length constraints of an ``Annotated`` type's metadata."""
    out: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):  # Field(...) inside Annotated holds its constraints as metadata
            out.update(_constraints(item.metadata))
            continue
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            value = getattr(item, name, None)
            if value is not None:
                out[name] = value
        if isinstance(item, annotated_types.Interval):
            out.update({k: v for k, v in vars(item).items() if v is not None})
    return out


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


def _range(c: dict[str, Any]) -> str:
    """``0 to 1``, ``above 0 and at most 10,080`` and the like, from ``ge/gt/le/lt``."""
    if "ge" in c and "le" in c:
        return f"{_number(c['ge'])} to {_number(c['le'])}"
    low = f"at least {_number(c['ge'])}" if "ge" in c else (f"above {_number(c['gt'])}" if "gt" in c else "")
    high = f"at most {_number(c['le'])}" if "le" in c else (f"below {_number(c['lt'])}" if "lt" in c else "")
    return " and ".join(w for w in (low, high) if w)


def _strip(annotation) -> tuple[Any, list, bool]:
    """The type inside ``Annotated`` and ``Optional``: ``(type, metadata, optional)``."""
    metadata: list = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            args = get_args(annotation)
            annotation, metadata = args[0], metadata + list(args[1:])
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            optional = True
            annotation = functools.reduce(operator.or_, rest)
        else:
            return annotation, metadata, optional


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _describe_type(annotation, metadata: list) -> tuple[str, str]:
    """A type and its constraints in words: ``(kind, bounds)``."""
    annotation, inner_meta, _ = _strip(annotation)
    metadata = metadata + inner_meta
    c = _constraints(metadata)
    origin = get_origin(annotation)
    if any(getattr(m, "discriminator", None) == "dist" for m in metadata):
        return "distribution", "`dist:` fixed, exponential, lognormal, uniform or triangular, with its parameters"
    if origin is Literal:
        return "one of", ", ".join(f"`{v}`" for v in get_args(annotation))
    if origin in (Union, types.UnionType):
        parts = [_describe_type(a, []) for a in get_args(annotation)]
        kinds = " or ".join(dict.fromkeys(k for k, _ in parts))
        leaf = {b.rsplit("each ", 1)[-1] for _, b in parts if b}
        if len(leaf) == 1:  # a number, or lists of numbers of the same bounds: say the bounds once
            return kinds, f"each value {leaf.pop()}"
        return kinds, "; ".join(f"{k}: {b}" for k, b in parts if b)
    if origin is list:
        (item,) = get_args(annotation)
        kind, bounds = _describe_type(item, [])
        n_min, n_max = c.get("min_length"), c.get("max_length")
        if n_min is not None and n_min == n_max:
            count = f"{n_min}"
        elif n_min is not None or n_max is not None:
            count = f"{n_min or 0} to {n_max}" if n_max is not None else f"at least {n_min}"
        else:
            count = ""
        if count == "at least 1" and not bounds:
            return f"list of {kind}", "at least 1 value"
        if kind.startswith("list of ") and " values, each " in bounds:  # a table: "7 lists of 24 values"
            size, leaf = bounds.split(" values, each ", 1)
            return f"list of lists of {kind[len('list of ') :]}", f"{count} lists of {size} values, each {leaf}".strip()
        words = ", ".join(w for w in (f"{count} values" if count else "", f"each {bounds}" if bounds else "") if w)
        return f"list of {kind}", words
    if origin is dict:
        key, value = get_args(annotation)
        return f"mapping of {_describe_type(value, [])[0]}", ""
    if annotation is bool:
        return "yes/no", "`true` or `false`"
    if annotation is int:
        return "whole number", _range(c)
    if annotation is float:
        return "number", _range(c)
    if annotation is str:
        words = []
        if "min_length" in c or "max_length" in c:
            words.append(f"{c.get('min_length', 0)} to {c.get('max_length', '')} characters")
        if "pattern" in c:
            words.append(f"matching `{c['pattern']}`")
        return "text", ", ".join(words)
    if _is_model(annotation):
        return "block", ""
    return getattr(annotation, "__name__", str(annotation)), _range(c)


def attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The docstring written under each field of ``model`` and its parents (``name: type`` then a string)."""
    out: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            continue
        body = ast.parse(source).body[0].body
        for node, after in zip(body, body[1:] + [None], strict=True):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                out[node.target.id] = " ".join(inspect.cleandoc(after.value.value).split())
    return out


def _field_text(info: FieldInfo, docstring: str | None) -> str:
    return (info.description or docstring or "").strip()


def schema_fields(
    model: type[BaseModel], prefix: str = "", whole: tuple[str, ...] = (), optional: bool = False
) -> list[FieldRef]:
    """Every parameter of ``model``, depth first in the schema's order.

    A block (a nested model) is opened into its fields, unless its path is in
    ``whole``; a mapping of blocks keyed by the user (``dict[str, Model]``) is
    opened under ``<name>``.
    """
    docs = attribute_docstrings(model)
    out: list[FieldRef] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation, metadata, maybe_none = _strip(info.annotation)
        metadata = list(info.metadata) + metadata
        text = _field_text(info, docs.get(name))
        if _is_model(annotation) and path not in whole:
            out.extend(schema_fields(annotation, f"{path}.", whole, optional or maybe_none))
            continue
        if get_origin(annotation) is dict and _is_model(get_args(annotation)[1]) and path not in whole:
            out.extend(schema_fields(get_args(annotation)[1], f"{path}.<name>.", whole, optional))
            continue
        kind, bounds = _describe_type(annotation, metadata)
        if _is_model(annotation):
            kind = "block: " + ", ".join(f"`{f}`" for f in annotation.model_fields)
            text = text or " ".join((inspect.getdoc(annotation) or "").split("\n\n")[0].split())
        out.append(FieldRef(path, kind, bounds, optional or maybe_none, text))
    return out


def _lookup(data: Any, path: str) -> tuple[bool, Any]:
    """``(found, value)`` of a dotted path in nested mappings."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _shown(value: Any, limit: int = 70) -> str:
    """A value as a short code span; long lists are cut with the number of values they hold."""
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (dict, list)):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    else:
        text = str(value)
    if len(text) > limit:
        count = len(value) if isinstance(value, (list, dict)) else None
        text = text[: limit - 1].rstrip(", ") + " ..."
        return f"`{text}` ({count} values)" if count is not None else f"`{text}`"
    return f"`{text}`"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def fields_without_text(fields: list[FieldRef], registry: dict[str, Provenance], prefix: str = "") -> list[str]:
    """Paths of fields with neither a description in the schema nor a provenance note."""
    missing = []
    for f in fields:
        entry = registry.get(prefix + f.path)
        if not f.text and not (entry is not None and entry.note.strip()):
            missing.append(f.path)
    return missing


def config_reference(
    title: str,
    fields: list[FieldRef],
    defaults: dict,
    registry: dict[str, Provenance],
    prefix: str = "",
    intro: str = "",
) -> str:
    """A Markdown page: one section per top-level block, one table row per field.

    Parameters
    ----------
    title : str
        The page's heading.
    fields : list of FieldRef
        From ``schema_fields``.
    defaults : dict
        The shipped file, resolved (``load_config(...).model_dump()`` or the YAML mapping).
    registry : dict
        From ``sim.inputs.provenance.load_registry``.
    prefix : str
        The registry's prefix for this file's paths (``business_case.``).
    intro : str
        Markdown set under the heading.
    """
    lines = [f"# {title}", "", intro, ""] if intro else [f"# {title}", ""]
    section = None
    for f in fields:
        top = f.path.split(".")[0] if "." in f.path else ""
        if top != section:
            section = top
            lines += [
                "",
                f"## `{top}`" if top else "## The file itself",
                "",
                "| parameter | what it is | type and bounds | default | unit | provenance | source |",
                "|---|---|---|---|---|---|---|",
            ]
        found, value = _lookup(defaults, f.path)
        entry = registry.get(prefix + f.path)
        default = _shown(value) if found else ("none (the key may be left out)" if f.optional else "-")
        kind = f.kind + (": " + f.bounds if f.bounds else "") + (" or `null`" if f.optional else "")
        lines.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    f"`{f.path}`",
                    f.text or (entry.note if entry else ""),
                    kind,
                    default,
                    entry.unit if entry else "",
                    f"[{entry.tag}]" if entry else "",
                    entry.note if entry and f.text else "",
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------- the command line ----
@dataclass(frozen=True)
class CommandRef:
    """One command of the command line with its options."""

    name: str
    help: str
    usage: str
    options: list[tuple[str, str, str]]
    """``(flags or metavar, help, default)`` per argument, in the parser's order."""


def _subparsers(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """``(name, help, parser)`` of every sub-command, in the order they were added."""
    out = []
    for action in parser._actions:  # argparse keeps no public list of its arguments
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                out.append((name, helps.get(name, ""), sub))
    return out


def _argument_rows(parser: argparse.ArgumentParser) -> list[tuple[str, str, str]]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        flags = ", ".join(action.option_strings) if action.option_strings else (action.metavar or action.dest)
        if action.option_strings and action.nargs != 0:
            flags += f" {action.metavar or action.dest.upper()}"
        default = action.default
        if isinstance(default, (list, tuple)):
            default = ",".join(str(d) for d in default) or None
        text = (action.help or "") if action.help != argparse.SUPPRESS else ""
        text = text.replace("%(default)s", str(default)).replace("%(prog)s", parser.prog).replace("%%", "%")
        said = "default" in text or default in (None, False, argparse.SUPPRESS) or action.nargs == 0
        shown = "" if said else str(default)
        if action.choices and not isinstance(action.choices, dict):
            text += " (one of: " + ", ".join(str(c) for c in action.choices) + ")"
        rows.append((flags, text, shown))
    return rows


def commands(parser: argparse.ArgumentParser) -> list[CommandRef]:
    """The parser's top-level options (as the command ``""``) and each sub-command."""
    out = [CommandRef("", parser.description or "", parser.format_usage().strip(), _argument_rows(parser))]
    for name, text, sub in _subparsers(parser):
        out.append(CommandRef(name, text or sub.description or "", sub.format_usage().strip(), _argument_rows(sub)))
    return out


def commands_without_help(parser: argparse.ArgumentParser) -> list[str]:
    """Commands and arguments with no help text, as ``command`` or ``command OPTION``."""
    missing = []
    for cmd in commands(parser):
        if cmd.name and not cmd.help.strip():
            missing.append(cmd.name)
        missing += [f"{cmd.name or parser.prog} {flags}" for flags, text, _ in cmd.options if not text.strip()]
    return missing


def command_reference(parser: argparse.ArgumentParser, title: str = "Command reference", intro: str = "") -> str:
    """A Markdown page: every command with its usage line and a table of its arguments."""
    lines = [f"# {title}", ""] + ([intro, ""] if intro else [])
    for cmd in commands(parser):
        heading = f"`{parser.prog} {cmd.name}`" if cmd.name else f"`{parser.prog}` (options of every call)"
        lines += [f"## {heading}", ""]
        if cmd.help:
            lines += [cmd.help[0].upper() + cmd.help[1:] + ("" if cmd.help.endswith(".") else "."), ""]
        lines += ["```text", cmd.usage, "```", ""]
        if cmd.options:
            lines += ["| argument | what it does | default |", "|---|---|---|"]
            lines += [
                f"| `{_cell(f)}` | {_cell(t)} | {('`' + _cell(d) + '`') if d else ''} |" for f, t, d in cmd.options
            ]
            lines.append("")
    return "\n".join(lines) + "\n"
