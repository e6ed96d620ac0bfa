"""The Python API of cohorts and trials: ``load_trial``, ``run_trial``, ``run_cohort`` and their result object.

The command line and this API build the summary with the same two functions (``summarise`` and ``complete``),
so ``TrialResult.summary()`` is the dict that ``abscopal trial FILE --json -`` prints, figure for figure.

    >>> import abscopal
    >>> trial = abscopal.run_trial("examples/trial_nsclc_sbrt_pembrolizumab.yaml", size=20)  # doctest: +SKIP
    >>> trial.summary()["arms"][0]["orr"]["overall"]["rate"]                               # doctest: +SKIP
    >>> trial.to_frame().groupby("arm")["os_day"].median()                                 # doctest: +SKIP
    >>> trial.plot_kaplan_meier("results", endpoint="os")                                  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .trial.design import TrialDesign
from .trial.design import load_trial as _load_design
from .trial.run import TrialRun

__all__ = ["TrialResult", "load_trial", "run_trial", "run_cohort", "summarise", "complete"]


def load_trial(path: str | Path, *, size: int | None = None, seed: int | None = None, cohort: bool | None = None) -> TrialDesign:
    """Read a trial file (arms) or a cohort scenario (a population block) into a design, validated as the CLI does.

    ``cohort``: None reads a file with ``arms`` as a trial and any other as a cohort; True or False insists.
    ``size`` and ``seed`` override the population's."""
    if cohort is None:
        cohort = not _has_arms(path)
    return _load_design(path, size=size, seed=seed, cohort=cohort)


def _has_arms(path: str | Path) -> bool:
    """Whether the document's top level has an ``arms`` key (read with the loader's reader, so a missing or
    malformed file is its usual one-line input error)."""
    from .scenario.load import read_document

    data, _ = read_document(path)
    return isinstance(data, dict) and "arms" in data


def summarise(run: TrialRun, *, cohort: bool, power: bool = False, power_n: int | None = None) -> dict:
    """The statistics of a finished run (arms, comparisons, power): the first part of the contract's summary."""
    from .trial.analysis import trial_summary

    result = trial_summary(run, power=power, power_n=power_n)
    if cohort:
        result["schema"] = "abscopal.trial/1"
    return result


def complete(result: dict, run: TrialRun) -> dict | None:
    """Add provenance, the research-use notice and the biomarker analysis to ``result`` (in place).

    Returns the biomarker block (every arm with an abscopal outcome, named, and the arm-by-biomarker
    interaction), or None when there is nothing to analyse."""
    from .parameters import load_parameter_set
    from .simulate import __version__
    from .trial.biomarkers import trial_biomarkers
    from .vocabulary import NOTICE

    design = run.design
    first = design.arms[0][1]
    pset = load_parameter_set(first.species, first.tumour)
    result["provenance"] = {"version": __version__, "model": first.model, "parameter_set": f"{pset.name}@{pset.sha256[:12]}",
                            "scenario_sha256": design.sha256, "seed": design.population.seed}
    result["notice"] = NOTICE
    biomarkers = trial_biomarkers(run)
    if biomarkers:
        result["biomarkers"] = biomarkers
    return biomarkers


@dataclass
class TrialResult:
    """A finished cohort or trial: the summary, the per-subject table and the figures.

    ``run`` is the lower-level :class:`~abscopal.trial.run.TrialRun` (records per arm, lesion series)."""

    run: TrialRun
    result: dict
    biomarkers: dict | None = None

    @property
    def design(self) -> TrialDesign:
        return self.run.design

    def summary(self) -> dict:
        """The contract's summary dict (what ``--json`` writes): arms, comparisons, provenance, notice."""
        return self.result

    def to_frame(self):
        """One row per subject and arm (pandas DataFrame), the ``arm`` column first: the Parquet table of ``--out``."""
        import pyarrow as pa

        tables = [records.table.add_column(0, "arm", pa.array([arm] * len(records), pa.string()))
                  for arm, records in self.run.records.items()]
        return pa.concat_tables(tables).to_pandas()

    def print_summary(self, file=None) -> None:
        """The summary table the command line prints."""
        import sys

        from .trial_report import summary_text

        print(summary_text(self.result), file=file or sys.stdout)

    def write(self, folder: str | Path) -> list[Path]:
        """Everything ``--out FOLDER`` writes: result.json, the subject table and every figure."""
        from .trial_report import write_outputs

        return write_outputs(self.run, self.result, Path(folder), self.biomarkers)

    # figures: each is the command line's figure, written into ``folder`` (created if needed); returns its path
    def _plot(self, name: str, folder: str | Path, *args, **kwargs) -> Path:
        from . import trial_plots as plots
        from .report import provenance_line

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        return getattr(plots, name)(*args, out, provenance_line(self.result["provenance"]), **kwargs)

    def plot_waterfall(self, folder: str | Path = ".", **kwargs) -> Path:
        return self._plot("waterfall", folder, self.run, **kwargs)

    def plot_spider(self, folder: str | Path = ".", **kwargs) -> Path:
        return self._plot("spider", folder, self.run, **kwargs)

    def plot_swimmer(self, folder: str | Path = ".", **kwargs) -> Path:
        return self._plot("swimmer", folder, self.run, **kwargs)

    def plot_kaplan_meier(self, folder: str | Path = ".", endpoint: str = "os", **kwargs) -> Path:
        """``endpoint``: "pfs" or "os" (human), "endpoint" (mouse: time to the volume end point)."""
        return self._plot("kaplan_meier", folder, self.run, endpoint=endpoint, **kwargs)

    def plot_forest(self, folder: str | Path = ".", **kwargs) -> Path:
        """The biomarker forest plot (needs an abscopal outcome: a run with irradiated and other lesions)."""
        from .trial_report import biomarker_rows

        rows = biomarker_rows(self.biomarkers)
        if not rows:
            raise ValueError("no biomarker analysis in this run (no abscopal outcome)")
        return self._plot("forest", folder, rows, **kwargs)

    def plot_group_curves(self, folder: str | Path = ".", **kwargs) -> Path:
        """Mean lesion volume per arm over time (runs with named lesions, e.g. mouse trials)."""
        return self._plot("group_curves", folder, self.result, run=self.run, **kwargs)


def run_trial(trial: str | Path | TrialDesign, *, size: int | None = None, seed: int | None = None,
              workers: int = 1, out: str | Path | None = None, chunk_size: int | None = None,
              power: bool = False, power_n: int | None = None, progress: bool = False,
              cohort: bool | None = None) -> TrialResult:
    """Run a trial (or a cohort) from a file or a loaded design; the same results as ``abscopal trial``.

    ``out``: a folder for the resumable chunk store (as ``--out``; figures are written by ``.write()``).
    ``progress``: show the progress bar on standard error (on a terminal)."""
    from .trial.run import run_trial as _run
    from .trial_report import ProgressBar

    if isinstance(trial, TrialDesign):
        if size is not None or seed is not None:
            raise ValueError("size and seed are read with the design: pass them to load_trial, or pass a path")
        design = trial
        if cohort is None:
            cohort = [name for name, _ in design.arms] == ["cohort"]
    else:
        if cohort is None:
            cohort = not _has_arms(trial)
        design = load_trial(trial, size=size, seed=seed, cohort=cohort)
    run = _run(design, workers=workers, out=out, chunk_size=chunk_size,
               progress=ProgressBar(len(design.arms)) if progress else None)
    result = summarise(run, cohort=cohort, power=power, power_n=power_n)
    biomarkers = complete(result, run)
    return TrialResult(run=run, result=result, biomarkers=biomarkers)


def run_cohort(scenario: str | Path | TrialDesign, *, size: int | None = None, seed: int | None = None,
               **options) -> TrialResult:
    """Run a cohort: a scenario with a population block (the same results as ``abscopal cohort``)."""
    if isinstance(scenario, TrialDesign):
        return run_trial(scenario, cohort=True, **options)
    return run_trial(scenario, size=size, seed=seed, cohort=True, **options)
