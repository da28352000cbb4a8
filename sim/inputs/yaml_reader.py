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
- **huge files** and **huge values**: a file larger than ``MAX_BYTES`` is refused before parsing.
"""

from __future__ import annotations

import reprlib

import yaml

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


class BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys and bounds size and nesting, aliases expanded."""

    def __init__(self, stream):
        super().__init__(stream)
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
                return super().compose_node(parent, index)  # undefined: the base class says so
            values, height = self._anchored[event.anchor]
            self._count(values, event.start_mark)
            self._reach(self._depth + height, event.start_mark)
            return super().compose_node(parent, index)
        self._count(1, event.start_mark)
        first, deepest_before = self._nodes, self._deepest
        self._deepest = 0  # measure this node's own height
        self._depth += 1
        try:
            self._reach(self._depth, event.start_mark)
            node = super().compose_node(parent, index)
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
        return super().construct_mapping(node, deep=deep)


def load_bounded(text: str):
    """The document in ``text``; ``yaml.YAMLError`` (or :class:`YamlRefused`) if it is bad or refused."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlRefused(f"file larger than {MAX_BYTES:,} bytes")
    return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader subclass


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
