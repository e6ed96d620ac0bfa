"""Exception hierarchy.

Every input problem is an :class:`InputError` that knows the file, the key path, the problem,
what was expected and (optionally) a near-miss suggestion, and renders as the one-line message
that docs/format.md describes: ``FILE: key.path: problem; expected ...; did you mean ...?``.
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


# Words users write for a name of the vocabulary. Each maps to candidates in order of preference; near_miss
# offers the first that the context accepts (``subcutaneous`` is ``flank`` where mouse sites are meant and
# ``skin`` where only human sites are), so one table serves sites, tumours, agents, species and hosts alike.
SYNONYMS: dict[str, tuple[str, ...]] = {
    # sites
    "subcutaneous": ("flank", "skin"), "sc": ("flank", "skin"), "s.c.": ("flank", "skin"),
    "subcutis": ("flank", "skin"), "cutaneous": ("skin",), "dermal": ("skin",), "hind_leg": ("leg",),
    "thigh": ("leg",), "pulmonary": ("lung",), "lungs": ("lung",), "hepatic": ("liver",), "cerebral": ("brain",),
    "cns": ("brain",), "intracranial": ("brain",), "osseous": ("bone",), "bones": ("bone",),
    "skeletal": ("bone",), "spine": ("bone",), "node": ("lymph_node",), "nodes": ("lymph_node",),
    "nodal": ("lymph_node",), "ln": ("lymph_node",), "lymph": ("lymph_node",), "lymphnode": ("lymph_node",),
    "adrenal_gland": ("adrenal",), "renal": ("kidney", "renal"), "kidneys": ("kidney",),
    "head_and_neck": ("head_neck", "hnscc"), "neck": ("head_neck",), "muscle": ("soft_tissue",),
    "soft": ("soft_tissue",), "pancreatic": ("pancreas",), "mammary": ("breast",), "mammary_fat_pad": ("breast",),
    # tumours
    "lung": ("nsclc", "lung"), "nsclc_adenocarcinoma": ("nsclc",), "crc": ("colorectal",), "colon": ("colorectal", "ct26"),
    "rectal": ("colorectal",), "rcc": ("renal",), "kidney": ("renal", "kidney"), "liver": ("hcc", "liver"),
    "glioblastoma": ("gbm",), "glioma": ("gbm",), "scchn": ("hnscc",), "head_neck": ("hnscc", "head_neck"),
    "adrenocortical": ("acc",), "melanoma": ("melanoma", "b16f10"), "b16": ("b16f10",),
    "breast": ("breast", "4t1"),
    # agents (brand names and common spellings)
    "keytruda": ("pembrolizumab",), "pembro": ("pembrolizumab",), "opdivo": ("nivolumab",), "nivo": ("nivolumab",),
    "yervoy": ("ipilimumab",), "ipi": ("ipilimumab",), "tecentriq": ("atezolizumab",), "atezo": ("atezolizumab",),
    "imfinzi": ("durvalumab",), "bavencio": ("avelumab",), "libtayo": ("cemiplimab",), "imjudo": ("tremelimumab",),
    "leukine": ("gm-csf",), "sargramostim": ("gm-csf",), "gmcsf": ("gm-csf",), "proleukin": ("il-2",),
    "aldesleukin": ("il-2",), "il2": ("il-2",), "interleukin-2": ("il-2",), "hiltonol": ("poly-iclc",),
    "anti-pd1": ("anti-pd-1", "pembrolizumab"), "anti_pd1": ("anti-pd-1", "pembrolizumab"),
    "anti-pdl1": ("anti-pd-l1", "atezolizumab"), "anti_pdl1": ("anti-pd-l1", "atezolizumab"),
    "anti-ctla4": ("anti-ctla-4", "ipilimumab"), "anti_ctla4": ("anti-ctla-4", "ipilimumab"),
    "anti-tgfb": ("anti-tgf-beta", "fresolimumab"), "flt3-l": ("flt3l",), "flt3_ligand": ("flt3l",),
    "anti-ox-40": ("anti-ox40",), "anti-4-1bb": ("anti-cd137",), "anti-41bb": ("anti-cd137",),
    # species and hosts
    "murine": ("mouse",), "mice": ("mouse",), "patient": ("human",), "humans": ("human",), "homo_sapiens": ("human",),
    "nude": ("t_cell_deficient",), "athymic": ("t_cell_deficient",), "scid": ("t_cell_deficient",),
    "immunocompetent": ("competent",), "wild_type": ("competent",), "cd8_depletion": ("cd8_depleted",),
}


def _normal(word: str) -> str:
    """Case, spaces and underscores aside: ``'Lymph node'`` and ``'lymph_node'`` are the same word."""
    return "_".join(str(word).strip().lower().replace("-", " - ").split()).replace("_-_", "-")


def near_miss(word: str, choices: Iterable[str]) -> str | None:
    """The closest known name to ``word`` (a spelling slip, or a synonym of SYNONYMS), or None when nothing is close."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    key = _normal(word)
    for candidate in (str(word).lower(), key, key.replace("_", "-"), key.replace("-", "_")):
        if candidate in lowered:
            return lowered[candidate]
    for candidate in SYNONYMS.get(key, ()) + SYNONYMS.get(key.replace("_", "-"), ()):
        if candidate in lowered:
            return lowered[candidate]
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
