"""Exception hierarchy.

Every input problem is an :class:`InputError` that knows the file, the key path, the problem,
what was expected and (optionally) a near-miss suggestion, and renders as the one-line message
of CONTRACT.md: ``FILE: key.path: problem; expected ...; did you mean ...?``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class AbscopalError(Exception):
    """Base class of all abscopal errors."""


# The parts of an error message that may quote the user's input are cut to these lengths, so that a
# 100 kB string or a huge number still gives a one-line message (the head and tail of it).
MAX_PART = {"problem": 160, "key": 100, "expected": 300, "suggestion": 60}


def _one_line(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters (its middle elided)."""
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text))
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]} ... {text[len(text) - half:]}"


class InputError(AbscopalError):
    """The user's input is wrong (exit status 2)."""

    def __init__(
        self,
        problem: str,
        *,
        key: str = "",
        expected: str = "",
        suggestion: str | None = None,
        file: str = "",
    ) -> None:
        self.problem = problem
        self.key = key
        self.expected = expected
        self.suggestion = suggestion
        self.file = file
        super().__init__(self.message)

    @property
    def message(self) -> str:
        key = _one_line(self.key, MAX_PART["key"]) if self.key else "(top level)"
        head = f"{self.file or '<input>'}: {key}: {_one_line(self.problem, MAX_PART['problem'])}"
        if self.expected:
            head += f"; expected {_one_line(self.expected, MAX_PART['expected'])}"
        if self.suggestion:
            head += f"; did you mean {_one_line(self.suggestion, MAX_PART['suggestion'])!r}?"
        return head

    def with_file(self, file: str) -> InputError:
        if not self.file:
            self.file = file
            self.args = (self.message,)
        return self

    def with_prefix(self, prefix: str) -> InputError:
        """Prepend a key path (``radiotherapy[0]`` + ``dose`` -> ``radiotherapy[0].dose``)."""
        self.key = f"{prefix}.{self.key}" if self.key else prefix
        self.args = (self.message,)
        return self


class UnitError(InputError):
    """A quantity has the wrong or no unit."""


class ParameterError(AbscopalError):
    """A parameter data file is malformed (a bug in the package data, not user input)."""


class SolverError(AbscopalError):
    """The ODE solver failed for a subject."""


def near_miss(word: str, choices: Iterable[str]) -> str | None:
    """The closest known name to ``word``, or None when nothing is close."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if str(word).lower() in lowered:
        return lowered[str(word).lower()]
    found = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def unknown_name(kind: str, word: object, choices: Iterable[str], key: str) -> InputError:
    choices = sorted(choices)
    return InputError(
        f"unknown {kind} {word!r}",
        key=key,
        expected="one of " + ", ".join(choices),
        suggestion=near_miss(str(word), choices),
    )
