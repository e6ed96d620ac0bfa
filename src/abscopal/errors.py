"""Exception hierarchy.

Every input problem is an :class:`InputError` that knows the file, the key path, the problem,
what was expected and (optionally) a near-miss suggestion, and renders as the one-line message
that docs/format.md describes: ``FILE: key.path: problem; expected ...; did you mean ...?``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AbscopalError(Exception):
    """Base class of all abscopal errors."""


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
        head = f"{self.file or '<input>'}: {self.key or '(top level)'}: {self.problem}"
        if self.expected:
            head += f"; expected {self.expected}"
        if self.suggestion:
            head += f"; did you mean {self.suggestion!r}?"
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
