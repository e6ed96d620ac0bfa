"""The lanes engine: W subjects in lock-step per thread, their right-hand side in SIMD instructions.

The compiled engine (compiled.py, kernel.py) integrates one subject per thread at a time, and its right-hand
side (about 80% of the integration) runs on scalar floating-point instructions. Here the right-hand side is
generated for the batch's numbers of lesions and agents, unrolled, over W subjects at once
(model/codegen.py, lanes_source), so that LLVM vectorises it across subjects (AVX2: 4 doubles per instruction,
AVX-512: 8), with the vectorisable exp and log of model/vmath.py. lanes_kernel.py integrates each lane exactly
as kernel.integrate_subject integrates a subject, so both engines give the same numbers bit for bit (with the
same right-hand side arithmetic; tests/unit/test_lanes.py), whatever W, the block size or the thread count.

One kernel is compiled per (lesions, agents, W) on first use (20-60 s, more for more lesions) and cached on
disk like the scalar kernel. Since every choice gives the same numbers, which engine runs is a question of
time only (``choose``): a batch of at least LANES_MIN_SUBJECTS subjects runs in lanes when that shape's kernel
is already compiled on this machine (``ready``), or when the caller expects at least LANES_WORTH subjects of
the shape (a large cohort: simulate.expected_subjects), which repays the compile; otherwise the scalar kernel
runs, so that a test suite or a small study does not compile a kernel for every shape it touches.
ABSCOPAL_LANES=0 switches the lanes engine off; ABSCOPAL_LANES=W runs every batch of LANES_MIN_SUBJECTS or
more in W lanes (calibration runs that simulate the same shapes for hours).

LLVM option: the loop vectoriser gives up on a loop whose memory accesses it cannot group into a few runtime
alias checks, and it stops grouping after 100 comparisons (``-memory-check-merge-threshold``). The
generated right-hand side reads about 150 distinct array elements per lane, so the option is raised once per
process before the first compilation; it changes only which loops LLVM vectorises, never a result.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from ..model import codegen
from .compiled import DOPRI, VMATH, cache_dir, load_source, source_name

TEMPLATE = Path(__file__).with_name("lanes_kernel.py")
DEFAULT_LANES = 8
LANES_MIN_SUBJECTS = 64
LANES_WORTH = 20_000  # subjects expected of one shape above which compiling its lanes kernel pays (issue 16 numbers:
# about 0.6 ms of CPU saved per subject against a compile of 20-60 s)
BLOCK = 64  # subjects per block (one thread takes a block at a time; lanes refill within it)
_W_LINE = "W = 8  # lanes; lanes.py writes the chosen number here"


def lanes_setting() -> int | None:
    """Number of lanes from $ABSCOPAL_LANES (0: lanes engine off; W: always for large batches); None when unset
    (or not an integer): ``choose`` decides."""
    raw = os.environ.get("ABSCOPAL_LANES", "").strip()
    try:
        return max(0, min(int(raw), 64)) if raw else None
    except ValueError:
        return None


def _source(n_lesions: int, n_agents: int, lanes: int) -> str:
    template = TEMPLATE.read_text()
    if _W_LINE not in template:
        raise RuntimeError(f"{TEMPLATE}: the line {_W_LINE!r} is missing")
    return (template.replace(_W_LINE, f"W = {lanes}  # lanes")
            + "\n\n" + codegen.lanes_source(n_lesions, n_agents, lanes)
            + '\nrhs_lanes = nb.njit(cache=True, nogil=True, error_model="numpy")(rhs_lanes)\n')


def _prefix(n_lesions: int, n_agents: int, lanes: int) -> str:
    return f"abscopal_lanes_L{n_lesions}_A{n_agents}_W{lanes}"


_DEPENDS = (DOPRI, codegen.GENERATED, VMATH)  # files the lanes kernel's code depends on: part of its name


def _marker(n_lesions: int, n_agents: int, lanes: int) -> Path:
    """File that says this machine has compiled the kernel of this shape from the current sources (named like the
    kernel's module, whose name hashes its sources: compiled.source_name)."""
    name = source_name(_source(n_lesions, n_agents, lanes), _prefix(n_lesions, n_agents, lanes), *_DEPENDS)
    return cache_dir() / f"{name}.ready"


@functools.cache
def ready(n_lesions: int, n_agents: int, lanes: int) -> bool:
    """Whether the lanes kernel of this shape has been compiled and cached here before (its marker exists)."""
    try:
        return _marker(n_lesions, n_agents, lanes).exists()
    except OSError:
        return False


def choose(S: int, n_lesions: int, n_agents: int, expected: int | None = None) -> int:
    """Lanes for a batch of S subjects (0: the scalar kernel); see the module docstring."""
    setting = lanes_setting()
    if setting == 0 or S < LANES_MIN_SUBJECTS:
        return 0
    if setting is not None:
        return setting
    if (expected or 0) >= LANES_WORTH or ready(n_lesions, n_agents, DEFAULT_LANES):
        return DEFAULT_LANES
    return 0


LLVM_TESTED = range(14, 23)  # LLVM major versions known to have the option (llvmlite's LLVM here: 22)


@functools.cache
def _llvm_options() -> bool:
    """Raise LLVM's limit on merged alias checks (module docstring), once per process. LLVM exits the process on an
    option it does not know, so the option is set only for LLVM versions known to have it; elsewhere the lanes
    engine still runs and gives the same numbers, vectorised or not."""
    import llvmlite.binding as llvm

    if llvm.llvm_version_info[0] not in LLVM_TESTED:
        return False
    llvm.set_option("", "-memory-check-merge-threshold=100000")
    return True


@functools.cache
def lanes_module(n_lesions: int, n_agents: int, lanes: int):
    """The lanes kernel for L lesions, A agents and W lanes (compiled on first use, then from the disk cache)."""
    _llvm_options()
    return load_source(_source(n_lesions, n_agents, lanes), _prefix(n_lesions, n_agents, lanes), *_DEPENDS)


def block_bounds(S: int, block: int = BLOCK) -> np.ndarray:
    """Subject indices where blocks start, and S at the end."""
    return np.unique(np.append(np.arange(0, S, max(1, block), dtype=np.int64), S)).astype(np.int64)


def integrate_lanes(inputs: dict, t_out: np.ndarray, pk, weight: np.ndarray, out: np.ndarray, status: np.ndarray,
                    steps: np.ndarray, *, rtol: float, atol: float, h0: float, max_steps: int, lanes: int,
                    block: int = BLOCK) -> None:
    """Integrate compiled inputs (Batch.compiled_inputs) with the lanes kernel into out (S, T, n; NaN where a
    subject failed), status (S,) and steps (S, 2), as compiled.run_compiled does with the scalar kernel."""
    y0 = inputs["y0"]
    S = y0.shape[0]
    L = inputs["active"].shape[1]
    A = inputs["apar"].shape[1]
    if S == 0:
        return
    module = lanes_module(L, A, lanes)
    module.integrate_blocks(block_bounds(S, block), y0, inputs["active"], inputs["par"], inputs["lpar"],
                            inputs["apar"], inputs["offsets"], np.asarray(t_out, dtype=float), inputs["ev_time"],
                            inputs["ev_lesion"], inputs["ev_systemic"], inputs["ev_agent"], inputs["nonneg"],
                            float(rtol), float(atol), float(h0), int(max_steps), out, status, steps, pk.index, pk.v,
                            pk.vi, pk.lam, pk.exact, weight)
    if not ready(L, A, lanes):
        try:  # compiled and cached now: later batches of this shape run in lanes without being told to
            marker = _marker(L, A, lanes)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            ready.cache_clear()
        except OSError:
            pass
