"""The compiled cohort engine: the Dormand-Prince 5(4) integrator of dopri.py, per subject, in numba.

The right-hand side and the event jumps are the scalar functions generated from model/equations.py
(model/_generated.py); they are compiled here together with a per-subject adaptive integrator, and
subjects run in parallel threads (``prange``). The algorithm is the one of the NumPy engine step for
step: same tableau, max-norm error control, step-size rule, stops at output and event times (output
recorded before the event), non-negativity and failure statuses, the exact drug compartments of linear.py,
plus reuse of f(y) wherever the state has not changed (first same as last; after an output stop without an
event; after a rejected step). Each subject's trajectory depends only on its own inputs, so results do not
depend on the chunking, the thread count or the other subjects of a call.

The first call compiles (tens of seconds) and caches the machine code on disk (numba ``cache=True``,
in a kernel copy named by the hash of kernel.py and model/_generated.py: see ``kernel()``); later
processes load it in about a second.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numba as nb
import numpy as np

from ..model import codegen
from .linear import ExactPK

KERNEL = Path(__file__).with_name("kernel.py")
DOPRI = Path(__file__).with_name("dopri.py")  # the kernel reads its tableau from here: part of the cache key too
VMATH = codegen.GENERATED.with_name("vmath.py")  # exp, log and ** of the generated right-hand side: part of the key too


def cache_dir() -> Path:
    """Folder for the compiled kernel: $ABSCOPAL_CACHE_DIR, else the user cache ($XDG_CACHE_HOME or ~/.cache)."""
    root = os.environ.get("ABSCOPAL_CACHE_DIR")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "abscopal"


def load_copy(kernel: Path, prefix: str, *depends: Path):
    """Import ``kernel`` from a copy named by the hash of its source and of the files it ``depends`` on, in the
    cache folder (or the temporary folder), so that numba's on-disk cache, which keys on the file and does not
    notice a change in what the kernel imports, never serves machine code built from older sources."""
    return load_source(kernel.read_text(), prefix, *depends, fallback=kernel)


def source_name(source: str, prefix: str, *depends: Path) -> str:
    """Module name of ``source``: the prefix and the hash of the text and of the files it ``depends`` on."""
    digest = hashlib.sha256("".join([source, *(d.read_text() for d in depends)]).encode()).hexdigest()[:16]
    return f"{prefix}_{digest}"


def load_source(source: str, prefix: str, *depends: Path, fallback: Path | None = None):
    """Import the module whose text is ``source`` from a file in the cache folder named by the hash of the text and
    of the files it ``depends`` on (load_copy); without a writable folder, from ``fallback`` or a temporary file."""
    name = source_name(source, prefix, *depends)
    path = fallback  # no writable folder: compile without the on-disk cache
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / "abscopal-cache"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            candidate = folder / f"{name}.py"
            if not candidate.exists() or candidate.read_text() != source:
                tmp = folder / f".{name}.{os.getpid()}.tmp"
                tmp.write_text(source)
                os.replace(tmp, candidate)
            path = candidate
            break
        except OSError:
            continue
    if path is None:
        handle, temporary = tempfile.mkstemp(suffix=".py", prefix=f"{name}_")
        with os.fdopen(handle, "w") as stream:
            stream.write(source)
        path = Path(temporary)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def kernel():
    """The kernel module, loaded from a copy named by the hash of its source, the tableau and the model definition."""
    return load_copy(KERNEL, "abscopal_kernel", DOPRI, codegen.GENERATED, VMATH)


def run_compiled(batch, t_out: np.ndarray, *, rtol: float = 1e-6, atol: float = 1e-9, h0: float = 0.01,
                 max_steps: int = 2_000_000, threads: int | None = None, exact_pk: bool | ExactPK = True,
                 lanes: int | None = None, block: int | None = None, expected: int | None = None):
    """Integrate a flagship-model batch; returns outputs (S, T, n), status (S,), steps (S, 2).

    ``exact_pk``: solve the drug compartments exactly (linear.py); False integrates them by Runge-Kutta inside
    the error norm, as before 2026-12-05 (kept for benchmarks/tolerance.py and the tests of both paths); an
    ExactPK of this batch chooses per agent (tests).
    ``lanes``: None lets lanes.choose pick the lanes engine or this scalar kernel (``expected``: how many subjects
    of this shape the caller will integrate in all, the cohort's size); 0 forces the scalar kernel; W >= 1 the
    lanes engine with W lanes. Every choice gives the same numbers; ``block`` sets the lanes engine's subjects per
    block (tests).
    """
    from . import lanes as lanes_engine

    if lanes is None:
        lanes = lanes_engine.choose(batch.S, batch.L, batch.A, expected)
    inputs = batch.compiled_inputs()
    S = inputs["y0"].shape[0]
    n = inputs["y0"].shape[1]
    if isinstance(exact_pk, ExactPK):
        pk = exact_pk
    else:
        pk = ExactPK.of_batch(batch) if exact_pk else ExactPK.of_batch(batch).without()
    out = np.full((S, len(t_out), n), np.nan)
    status = np.zeros(S, dtype=np.int64)
    steps = np.zeros((S, 2), dtype=np.int64)
    previous = nb.get_num_threads()
    if threads is not None:
        nb.set_num_threads(max(1, min(threads, nb.config.NUMBA_NUM_THREADS)))
    try:
        if lanes > 0:
            lanes_engine.integrate_lanes(inputs, t_out, pk, pk.error_weight(n), out, status, steps, rtol=rtol,
                                         atol=atol, h0=h0, max_steps=max_steps, lanes=lanes,
                                         block=block or lanes_engine.BLOCK)
            return out, status, steps
        kernel().integrate_cohort(inputs["y0"], inputs["active"], inputs["par"], inputs["lpar"], inputs["apar"],
                         inputs["offsets"], np.asarray(t_out, dtype=float), inputs["ev_time"], inputs["ev_lesion"],
                         inputs["ev_systemic"], inputs["ev_agent"], inputs["nonneg"], float(rtol), float(atol),
                         float(h0), int(max_steps), out, status, steps, pk.index, pk.v, pk.vi, pk.lam, pk.exact,
                         pk.error_weight(n))
    finally:
        nb.set_num_threads(previous)
    return out, status, steps
