"""Custom metrics of the cross_f target group: one target's design re-run as variants (other tumour types, other
fixed biomarker values), for claims that compare populations a single trial file cannot hold.

A trial file has one top-level ``tumour`` and one ``patient`` block shared by every arm (CONTRACT.md: an arm may
only change drugs, radiotherapy, host and mechanisms), so a result across tumour types (e.g. response rate vs
median TMB across cancers) or across biomarker strata (e.g. ORR by PD-L1 TPS stratum, each a subgroup fixed in
``patient``) needs one cohort per population. These metrics run those cohorts from the target's own design:

- the target is found from the run (``run.design.source`` is ``validation:<target id>``, as
  ``suite.evaluate_target`` sets it), and its ``design`` block is copied;
- the variant's keys replace the design's top-level keys (``tumour: renal``); a mapping value is merged into the
  design's mapping of that key (``patient: {pdl1_tps: 0.2}`` keeps the other patient keys);
- the population seed is the run's (so ``--seeds`` replicates the variants too), the size is the design's unless
  the spec gives ``size``; every arm gets the host status of the run's arm of the same name (so the immune-null
  re-run, which sets ``t_cell_deficient`` everywhere, reaches the variants too);
- the variant document is parsed and run with abscopal's public API (``trial.design.parse_trial``,
  ``trial.run.run_trial``, ``trial.analysis.trial_summary``). Runs are cached per process by document, so the
  observables of one target share them.

``METRICS`` (name -> function(spec, run, summary) -> float | None):

- ``variant_orr``: the objective response rate of ``arm`` (``set``: overall (default), in_field, out_of_field)
  in the design re-run with ``variant`` (a mapping of top-level keys). Arguments: ``arm``, ``variant``,
  optional ``set``, ``size``.
- ``variant_orr_rank_correlation``: the Spearman rank correlation (average ranks for ties) between the ORRs of
  ``arm`` in a list of variants and a published covariate of each (``x``), e.g. the median TMB of each tumour
  type. Arguments: ``arm``, ``variants`` (a list of ``{variant: {...}, x: number}``), optional ``set``, ``size``.
  None when fewer than three variants have an ORR or when either side is constant (no ranking: e.g. every ORR 0
  with T cells absent).

Helpers ``spearman`` and ``variant_document`` are pure functions (unit-tested without running the model).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from ..parameters.store import depends_on_parameters
from .probes_cand_d import spearman


def variant_document(design: dict, variant: dict, seed: int, hosts: dict[str, str] | None = None,
                     size: int | None = None) -> dict:
    """The trial document of ``design`` (a target's design block) with ``variant`` applied, the population seed
    ``seed`` (and ``size`` if given), and each named arm's host immune status set from ``hosts``."""
    doc = copy.deepcopy(dict(design))
    for key, value in (variant or {}).items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            merged = dict(doc[key])
            merged.update(copy.deepcopy(value))
            doc[key] = merged
        else:
            doc[key] = copy.deepcopy(value)
    population = dict(doc.get("population") or {})
    population["seed"] = int(seed)
    if size is not None:
        population["size"] = int(size)
    doc["population"] = population
    arms = {name: dict(arm or {}) for name, arm in (doc.get("arms") or {}).items()}
    for name, status in (hosts or {}).items():
        if name in arms:
            arms[name]["host"] = dict(arms[name].get("host") or {}, immune=status)
    doc["arms"] = arms
    doc["abscopal"] = 1
    return doc


def _target_design(run) -> dict:
    source = str(getattr(run.design, "source", ""))
    if not source.startswith("validation:"):
        raise ValueError(f"variant metrics need a validation target's run (source {source!r})")
    from .suite import load_targets

    target = load_targets()[source.split(":", 1)[1]]
    if target.design is None:
        raise ValueError(f"target {target.id} has no design")
    return target.design


def _hosts(run) -> dict[str, str]:
    return {name: scenario.host_immune for name, scenario in run.design.arms}


@depends_on_parameters  # a parameter swap (calibration, history matching) must not reuse the old values' runs
@lru_cache(maxsize=64)
def _summary_of(document_json: str) -> dict:
    from ..trial.analysis import trial_summary
    from ..trial.design import parse_trial
    from ..trial.run import run_trial

    doc = json.loads(document_json)
    return trial_summary(run_trial(parse_trial(doc, source="validation:variant")))


def _run_variant(doc: dict) -> dict:  # separate so that tests can replace the runner
    return _summary_of(json.dumps(doc, sort_keys=True))


def _arm_rate(summary: dict, arm: str, which: str) -> float | None:
    for entry in summary["arms"]:
        if entry["name"] == arm:
            return entry["orr"][which]["rate"]
    raise KeyError(f"no arm {arm!r}")


def _variant_rate(spec: dict, run, variant: dict) -> float | None:
    doc = variant_document(_target_design(run), variant, run.design.population.seed, _hosts(run), spec.get("size"))
    return _arm_rate(_run_variant(doc), spec["arm"], spec.get("set", "overall"))


def variant_orr(spec: dict, run, summary) -> float | None:
    return _variant_rate(spec, run, dict(spec["variant"]))


def variant_orr_rank_correlation(spec: dict, run, summary) -> float | None:
    xs, ys = [], []
    for item in spec["variants"]:
        rate = _variant_rate(spec, run, dict(item["variant"]))
        if rate is not None:
            xs.append(float(item["x"]))
            ys.append(float(rate))
    return spearman(xs, ys)


METRICS = {f.__name__: f for f in (variant_orr, variant_orr_rank_correlation)}
