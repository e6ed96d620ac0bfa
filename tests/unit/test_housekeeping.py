"""One copy of each shared table or schedule, no import cycle in the trial package, a library progress bar."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

import abscopal
from abscopal import response
from abscopal.engine import dopri
from abscopal.model.equations import MECHANISM_FLAGS
from abscopal.model.subject import subject_from_scenario
from abscopal.scenario.load import parse_scenario
from abscopal.trial_report import ProgressBar
from tests.helpers import human_base, imported_modules

PACKAGE = Path(abscopal.__file__).parent


def _kernel_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("abscopal_kernel_probe", PACKAGE / "engine" / "kernel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the njit functions lazily: nothing is compiled here
    return module


def test_compiled_kernel_reads_the_one_dormand_prince_table_bit_for_bit():
    k = _kernel_module()
    # the literal fractions the kernel held before it read dopri.py: the values must not move by one bit
    literal = {
        "_A21": 1 / 5, "_A31": 3 / 40, "_A32": 9 / 40, "_A41": 44 / 45, "_A42": -56 / 15, "_A43": 32 / 9,
        "_A51": 19372 / 6561, "_A52": -25360 / 2187, "_A53": 64448 / 6561, "_A54": -212 / 729,
        "_A61": 9017 / 3168, "_A62": -355 / 33, "_A63": 46732 / 5247, "_A64": 49 / 176, "_A65": -5103 / 18656,
        "_B1": 35 / 384, "_B3": 500 / 1113, "_B4": 125 / 192, "_B5": -2187 / 6784, "_B6": 11 / 84,
        "_E1": 35 / 384 - 5179 / 57600, "_E3": 500 / 1113 - 7571 / 16695, "_E4": 125 / 192 - 393 / 640,
        "_E5": -2187 / 6784 + 92097 / 339200, "_E6": 11 / 84 - 187 / 2100, "_E7": -1 / 40,
    }
    for name, value in literal.items():
        got = getattr(k, name)
        assert type(got) is float and got.hex() == value.hex(), name
    source = (PACKAGE / "engine" / "kernel.py").read_text()
    assert "19372" not in source and "5179" not in source  # no second copy of the numbers
    assert dopri.E[1] == 0.0 and dopri.B5[6] == 0.0


def test_subject_mechanism_switches_follow_the_one_flag_list():
    subject = subject_from_scenario(parse_scenario(human_base()))
    assert tuple(subject.mechanisms) == MECHANISM_FLAGS
    source = (PACKAGE / "model" / "subject.py").read_text()
    assert '"lymphocyte_kill", "occult_lesions"' not in source


def _old_schedules(t, every, until, baseline):
    later = [int(np.argmin(np.abs(t - s))) for s in np.arange(baseline + every, until + 1e-9, every)]
    with_base = sorted({int(np.argmin(np.abs(t - s))) for s in np.arange(0.0, until + 1e-9, every)})
    return later, with_base


def test_scan_schedule_is_one_function_with_the_old_values():
    for step, every, duration, baseline in ((7.0, 56.0, 730.0, 0.0), (1.0, 3.0, 60.0, 0.0), (7.0, 42.0, 365.0, 14.0),
                                            (0.5, 2.5, 40.0, 0.0), (7.0, 56.0, 50.0, 0.0)):
        t = np.arange(0.0, duration + 1e-9, step)
        later, with_base = _old_schedules(t, every, t[-1], baseline)
        assert response.scan_indices(t, every, t[-1], baseline) == later
        assert sorted(set(response.scan_indices(t, every, t[-1], include_baseline=True))) == with_base
    assert response.scan_indices(np.arange(0.0, 50.0, 7.0), 56.0, 49.0) == []
    for name in ("simulate.py", "trial/run.py", "validation/probes_cand_a.py", "validation/probes_cand_d.py",
                 "validation/probes_clinical_a.py"):
        source = (PACKAGE / name).read_text()
        assert "scan_indices" in source and "argmin(np.abs(t - s))" not in source, name


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``abscopal.<package>`` that the file imports anywhere (top level or inside functions)."""
    prefix = f"abscopal.{package}."
    return {name[len(prefix):].split(".")[0] for name in imported_modules(path, f"abscopal.{package}")
            if name.startswith(prefix)}


def test_trial_package_has_no_import_cycle():
    folder = PACKAGE / "trial"
    modules = {p.stem: p for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {name: _imports(path, "trial") & set(modules) for name, path in modules.items()}
    assert "run" not in graph["store"]

    def reach(start):
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return seen

    cycles = [name for name in graph if name in reach(name)]
    assert not cycles, cycles


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal_only():
    tty, piped = _Terminal(), io.StringIO()
    for stream in (tty, piped):
        bar = ProgressBar(3, stream=stream)
        for done in (8, 16, 32):
            bar(done, 32)
    assert "32/32 subjects x 3 arms" in tty.getvalue() and tty.getvalue().endswith("\n")
    assert piped.getvalue() == ""
