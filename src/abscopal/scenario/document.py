"""Reading a scenario or trial file into plain data, safely.

YAML is richer than the scenario format needs, and some of its features turn a small file into a
wrong result or a hang. This reader parses with PyYAML's safe loader, extended to refuse:

- a key given twice in one mapping (YAML would silently keep the last one: ``fractions: 3`` then
  ``fractions: 5`` would run 5 fractions without a word), naming the key and both lines;
- anchors and aliases (``&name``, ``*name``, ``<<: *name``): nine nested aliases of nine items each
  expand to hundreds of millions of values, and the format never needs them;
- nesting deeper than :data:`MAX_DEPTH` (PyYAML composes nested nodes recursively, so a deep flow
  list would otherwise end in a RecursionError);
- more than :data:`MAX_NODES` values or a file over :data:`MAX_BYTES` (a huge list would otherwise take
  minutes to parse or exhaust memory);
- bytes that are not UTF-8 text.

Each refusal is one :class:`~abscopal.errors.InputError` naming the file and, where there is one, the
line. JSON files go through the same reader (JSON is YAML).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode

from ..errors import InputError

# The largest realistic file (a trial of 8 arms on 64 explicit lesions) is about 20 kB.
MAX_BYTES = 256 * 1024
# The deepest path of the format is trial > arms > arm > radiotherapy > block > lesions > id (7 levels).
MAX_DEPTH = 24
# A 64-lesion trial of 8 arms has about 2,000 values.
MAX_NODES = 50_000


class _Refused(yaml.YAMLError):
    """A YAML feature or size the scenario format refuses; ``line`` is 1-based (0: unknown)."""

    def __init__(self, problem: str, expected: str, line: int = 0, key: str = "") -> None:
        super().__init__(problem)
        self.problem, self.expected, self.line, self.key = problem, expected, line, key


class SafeScenarioLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without aliases, duplicate keys, deep nesting or unbounded size."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.get_event()
            raise _Refused(f"alias *{event.anchor} at line {event.start_mark.line + 1}",
                           "no anchors or aliases (write each value out)", event.start_mark.line + 1)
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise _Refused(f"anchor &{event.anchor} at line {event.start_mark.line + 1}",
                           "no anchors or aliases (write each value out)", event.start_mark.line + 1)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES} values", f"a scenario or trial file of at most {MAX_NODES} values",
                           event.start_mark.line + 1)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels at line {event.start_mark.line + 1}",
                               f"at most {MAX_DEPTH} nested lists or mappings", event.start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except (TypeError, yaml.YAMLError):
                    continue  # an unhashable key: the constructor below reports it
                line = key_node.start_mark.line + 1
                if key in first:
                    raise _Refused(f"key {_show(key)} is given twice (lines {first[key]} and {line})",
                                   "each key once per mapping", line, key=str(key))
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def _show(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def read_document(path: str | Path) -> tuple[Any, str]:
    """Parse a YAML/JSON file; return the data and its text (every problem is an InputError)."""
    path = Path(path)
    name = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # never more: a huge file (or /dev/zero) is refused, not read
    except FileNotFoundError:
        raise InputError("file not found", expected="a path to a scenario file (.yaml or .json)", file=name) from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise InputError(f"cannot read the file ({exc.__class__.__name__})", expected="a readable text file", file=name) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"the file has more than {MAX_BYTES} bytes", expected=f"a scenario or trial file of at most {MAX_BYTES} bytes",
                         file=name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"byte {raw[exc.start]:#04x} at line {line} is not UTF-8 text", expected="a UTF-8 text file",
                         file=name) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as a text-mode read gives it (the scenario's sha256)
    if text.startswith("\ufeff"):  # a byte-order mark, as some editors write: not part of the document
        text = text[1:]
    try:
        loader = SafeScenarioLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise InputError(exc.problem, key=exc.key, expected=exc.expected, file=name) from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"malformed YAML/JSON{where}: {problem}", expected="a valid YAML or JSON document", file=name) from None
    except RecursionError:  # belt and braces: MAX_DEPTH stops nesting long before Python's limit
        raise InputError("the document nests too deeply", expected=f"at most {MAX_DEPTH} nested lists or mappings",
                         file=name) from None
    return data, text
