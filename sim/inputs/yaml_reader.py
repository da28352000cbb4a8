"""A YAML reader for config and sweep files that cannot be made to hang or run out of memory.

Plain ``yaml.safe_load`` accepts inputs a scenario file never needs and a user
cannot diagnose when they go wrong:

- **aliases** (``*name``) let a few lines expand into billions of values (an
  "alias bomb"). Aliases are allowed (``yaml.dump`` writes them for repeated
  values) but counted as the values they stand for: a file may hold at most
  ``MAX_NODES`` values and nest ``MAX_DEPTH`` levels deep, aliases expanded.
- **duplicate keys**: the last one silently wins (two ``changes:`` blocks would
  drop the first). They are refused, naming the key and its line.
- **deep nesting** ends in Python's recursion limit. Mappings and lists may nest
  at most ``MAX_DEPTH`` deep (a config needs about 5).
- **huge files** and **huge values**: a file larger than ``MAX_BYTES`` is refused before it is
  read (at most ``MAX_BYTES + 1`` bytes are ever read); an integer of more than
  ``MAX_INT_DIGITS`` digits is refused, not converted.
- **integers as YAML 1.1 reads them**: ``021`` would be octal 17 and ``1:30`` base-60 90. A
  leading zero is read as a person means it (21); a base-60 number is refused with the reason.

libyaml's C parser is used when PyYAML has it (it parses ten times faster); the checks are the same.
"""

from __future__ import annotations

import functools
import os
import re
import reprlib
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

MAX_DEPTH = 20
"""Deepest nesting of mappings and lists allowed in a YAML file."""
MAX_BYTES = 1_000_000
"""Largest YAML file read, in bytes (the shipped base config is under 20 kB)."""
MAX_NODES = 200_000
"""Most values (scalars, lists, mappings) in one YAML file."""


class YamlRefused(yaml.YAMLError):
    """Valid YAML that a config file may not contain; ``problem`` and ``problem_mark`` say why and where."""

    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


MAX_INT_DIGITS = 30
"""Longest integer read, in digits (a seed has at most 19): a longer one is refused, not converted
(Python refuses to convert beyond 4,300 digits, and such a number means nothing here)."""
MAX_VALUE_BYTES = 100_000
"""Longest value given on the command line (``--set PATH=VALUE``)."""

_DECIMAL_WITH_ZEROS = re.compile(r"^[-+]?0[0-9_]+$")
"""``021``, ``007``: YAML 1.1 reads the first as octal (17); a person means 21."""


class _Bounds(Composer):
    """The bounds and checks of :class:`BoundedLoader`, for a Python or a C (libyaml) parser."""

    def _start_bounds(self) -> None:
        self._depth = 0  # nesting of the node being composed
        self._deepest = 0  # deepest nesting reached so far, aliases expanded
        self._nodes = 0  # values composed so far, aliases expanded
        self._anchored: dict[str, tuple[int, int]] = {}  # anchor -> (values, height) of its node

    def _reach(self, depth: int, mark) -> None:
        if depth > MAX_DEPTH:
            raise YamlRefused(f"nested more than {MAX_DEPTH} levels deep", mark)
        self._deepest = max(self._deepest, depth)

    def _count(self, values: int, mark) -> None:
        self._nodes += values
        if self._nodes > MAX_NODES:
            raise YamlRefused(f"more than {MAX_NODES:,} values in one file (aliases expanded)", mark)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self._anchored:
                if event.anchor in self.anchors:
                    raise YamlRefused(f"alias *{event.anchor} used inside its own anchor", event.start_mark)
                return Composer.compose_node(self, parent, index)  # undefined: the base class says so
            values, height = self._anchored[event.anchor]
            self._count(values, event.start_mark)
            self._reach(self._depth + height, event.start_mark)
            return Composer.compose_node(self, parent, index)
        self._count(1, event.start_mark)
        first, deepest_before = self._nodes, self._deepest
        self._deepest = 0  # measure this node's own height
        self._depth += 1
        try:
            self._reach(self._depth, event.start_mark)
            node = Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1
        if event.anchor is not None:
            self._anchored[event.anchor] = (self._nodes - first + 1, self._deepest - self._depth)
        self._deepest = max(self._deepest, deepest_before)
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key: let the base class report it
                    continue
                if duplicate:
                    shown = repr(key) if isinstance(key, str) and len(key) <= 80 else describe(key)
                    raise YamlRefused(f"duplicate key {shown}", key_node.start_mark)
                seen.add(key)
        return SafeConstructor.construct_mapping(self, node, deep=deep)

    def construct_yaml_int(self, node):
        """An integer as a person writes it: ``021`` is 21 (not octal 17); ``1:30`` (base 60) and
        integers of more than ``MAX_INT_DIGITS`` digits are refused with the reason."""
        text = str(self.construct_scalar(node))
        digits = text.lstrip("+-").replace("_", "")
        if ":" in text:
            raise YamlRefused(
                f"{text[:40]} is a base-60 number in YAML (1:30 is 90); write the number you mean", node.start_mark
            )
        if len(digits) > MAX_INT_DIGITS:
            raise YamlRefused(
                f"an integer of {len(digits):,} digits is too large (at most {MAX_INT_DIGITS})", node.start_mark
            )
        if _DECIMAL_WITH_ZEROS.match(text):
            return int(text.replace("_", ""), 10)
        return SafeConstructor.construct_yaml_int(self, node)


class BoundedLoader(_Bounds, yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys and bounds size and nesting, aliases expanded."""

    def __init__(self, stream):
        yaml.SafeLoader.__init__(self, stream)
        self._start_bounds()


if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser

    class FastBoundedLoader(_Bounds, CParser, SafeConstructor, Resolver):
        """:class:`BoundedLoader` with libyaml's C scanner, parser and composer: the same checks, made on
        the composed node graph (aliases are shared nodes there, so counting them expanded costs
        nothing) before any value is built; several times faster, so a file of 200,000 values is
        refused in about a second. libyaml 0.2.6 and later refuse nesting deeper than 1,000 levels while
        parsing; an older libyaml (PyYAML 6.0.2 and earlier bundle 0.2.5) composes any depth recursively
        and a few thousand levels crash the process, so with it the nesting is first measured on the
        parser's events (flat, no recursion; about a fifth of the parse time)."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            self.text = stream
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start_bounds()

        def bounded_data(self):
            if not libyaml_bounds_nesting():
                _check_event_depth(self.text)
            try:
                node = CParser.get_single_node(self)
            except yaml.MarkedYAMLError as exc:
                _refuse_if_too_deep(exc)
                raise
            if node is None:
                return None
            _check_graph(node)
            return self.construct_document(node)

    def _refuse_if_too_deep(exc: yaml.MarkedYAMLError) -> None:
        """libyaml's own refusal of deep nesting, said as every other refusal of it is."""
        if "maximum nesting depth" in str(exc.problem):
            raise YamlRefused(f"nested more than {MAX_DEPTH} levels deep", exc.problem_mark) from None

    @functools.cache
    def libyaml_bounds_nesting() -> bool:
        """True if the installed libyaml refuses deep nesting itself (0.2.6 and later do)."""
        parser = CParser("[" * 1500 + "]" * 1500)
        try:
            while parser.get_event() is not None:  # events only: nothing is composed, nothing recurses
                pass
        except yaml.MarkedYAMLError as exc:
            return "maximum nesting depth" in str(exc.problem)
        finally:
            parser.dispose()
        return False

    def _check_event_depth(text: str) -> None:
        """Refuse ``text`` if its collections nest more than ``MAX_DEPTH`` deep, measured on libyaml's
        events without composing (which, in libyaml before 0.2.6, recurses once per level)."""
        parser = CParser(text)
        opening = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
        closing = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
        depth = 0
        try:
            while (event := parser.get_event()) is not None:
                if isinstance(event, opening):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise YamlRefused(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
                elif isinstance(event, closing):
                    depth -= 1
        except yaml.MarkedYAMLError as exc:
            _refuse_if_too_deep(exc)
            raise
        finally:
            parser.dispose()

    LOADERS: tuple[type, ...] = (FastBoundedLoader, BoundedLoader)
else:  # pragma: no cover - PyYAML built without libyaml
    LOADERS = (BoundedLoader,)

for _loader in LOADERS:
    _loader.add_constructor("tag:yaml.org,2002:int", _Bounds.construct_yaml_int)
    _loader.add_implicit_resolver("tag:yaml.org,2002:int", _DECIMAL_WITH_ZEROS, list("-+0"))


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _check_graph(root) -> None:
    """Refuse a composed document with more than ``MAX_NODES`` values or ``MAX_DEPTH`` levels,
    aliases expanded, or an alias inside its own anchor (a loop). Each shared node is measured
    once, without recursion, so the check is linear in the file's size."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height), aliases expanded
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            values, height = 1, 1
            for child in _children(node):
                if isinstance(child, yaml.ScalarNode):
                    values += 1
                    height = 2 if height < 2 else height
                else:
                    v, h = measured[id(child)]
                    values += v
                    height = max(height, 1 + h)
            if values > MAX_NODES:
                raise YamlRefused(f"more than {MAX_NODES:,} values in one file (aliases expanded)", node.start_mark)
            if height > MAX_DEPTH:
                raise YamlRefused(f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
            measured[key] = (values, height)
            open_nodes.discard(key)
            continue
        if key in measured:
            continue
        if key in open_nodes:
            raise YamlRefused("an alias used inside its own anchor", node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if isinstance(child, yaml.ScalarNode):
                continue
            if id(child) in open_nodes:
                raise YamlRefused("an alias used inside its own anchor", child.start_mark)
            if id(child) not in measured:
                stack.append((child, False))


def load_bounded(text: str):
    """The document in ``text``; ``yaml.YAMLError`` (or :class:`YamlRefused`) if it is bad or refused."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlRefused(f"file larger than {MAX_BYTES:,} bytes")
    loader = LOADERS[0](text)
    try:
        if hasattr(loader, "bounded_data"):
            return loader.bounded_data()
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_value(text: str):
    """One value written on the command line (``--set PATH=VALUE``), read with the same bounds as a file."""
    if len(text) > MAX_VALUE_BYTES:
        raise YamlRefused(f"value longer than {MAX_VALUE_BYTES:,} characters")
    return load_bounded(text)


def read_bounded_text(path: Path) -> str:
    """The text of a YAML file, refused (``YamlRefused``) before it is read if it is larger than ``MAX_BYTES``.

    At most ``MAX_BYTES + 1`` bytes are ever read, whatever the file (a pipe or a growing file too).
    ``UnicodeDecodeError`` and ``OSError`` are left to the caller.
    """
    with open(path, "rb") as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
        except OSError:
            size = 0
        if size > MAX_BYTES:
            raise YamlRefused(f"file of {size:,} bytes, larger than {MAX_BYTES:,}: not read")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlRefused(f"file larger than {MAX_BYTES:,} bytes: not read")
    return data.decode("utf-8")


class _ShortRepr(reprlib.Repr):
    def repr_int(self, x, level):
        if abs(x).bit_length() > 100:  # rendering a huge integer costs time (or raises)
            return f"<integer of about {int(abs(x).bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()
_SHORT.maxlevel = 2
_SHORT.maxstring = 40
_SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6
_SHORT.maxlong = 30


def describe(value, limit: int = 60) -> str:
    """A short ``repr`` of ``value`` that never renders more than it shows, whatever its size."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong with a YAML text and where, in a few words (never the whole text)."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        what = "a NUL byte" if char == 0 else f"the control character #x{char:04x}"
        return f"not a text file: {what} at character {exc.position:,} ({exc.reason})"
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    if isinstance(exc, YamlRefused):
        return f"{exc.problem}{where}"
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"invalid YAML{where}: {describe(problem, 120) if not isinstance(problem, str) else problem[:200]}"
