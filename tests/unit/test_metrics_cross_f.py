"""Unit tests of the cross_f custom validation metrics on hand-made inputs (no model run)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from abscopal.validation import probes_cross_f as pf


def test_spearman_perfect_and_reversed_orders():
    assert pf.spearman([1, 2, 3, 4], [0.1, 0.2, 0.5, 0.9]) == pytest.approx(1.0)
    assert pf.spearman([1, 2, 3, 4], [0.9, 0.5, 0.2, 0.1]) == pytest.approx(-1.0)


def test_spearman_uses_average_ranks_for_ties():
    # x ranks 1, 2.5, 2.5, 4; y ranks 1, 2, 3, 4 -> r = 4.5 / sqrt(4.5 * 5)
    assert pf.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(4.5 / (4.5 * 5.0) ** 0.5)


def test_spearman_is_none_for_constant_side_or_too_few_pairs():
    assert pf.spearman([1, 2, 3], [0.0, 0.0, 0.0]) is None
    assert pf.spearman([1, 2], [0.1, 0.2]) is None
    with pytest.raises(ValueError):
        pf.spearman([1, 2, 3], [1, 2])


def test_variant_document_replaces_and_merges_keys_and_sets_seed_and_hosts():
    design = {"species": "human", "tumour": "nsclc", "patient": {"pdl1_tps": 0.75, "alc": "1500 /uL"},
              "population": {"size": 300, "seed": 2015},
              "arms": {"pembro": {"drugs": [{"agent": "pembrolizumab"}]}, "control": {}}}
    doc = pf.variant_document(design, {"tumour": "renal", "patient": {"pdl1_tps": 0.2}}, seed=3015,
                              hosts={"pembro": "t_cell_deficient", "control": "competent"}, size=50)
    assert doc["tumour"] == "renal"
    assert doc["patient"] == {"pdl1_tps": 0.2, "alc": "1500 /uL"}
    assert doc["population"] == {"size": 50, "seed": 3015}
    assert doc["arms"]["pembro"]["host"] == {"immune": "t_cell_deficient"}
    assert doc["arms"]["control"]["host"] == {"immune": "competent"}
    assert doc["abscopal"] == 1
    # the target's own design is not modified
    assert design["tumour"] == "nsclc" and design["patient"]["pdl1_tps"] == 0.75 and "host" not in design["arms"]["pembro"]


def _fake_run(seed=7, source="validation:some_target", hosts=(("pembro", "competent"),)):
    arms = tuple((name, SimpleNamespace(host_immune=h)) for name, h in hosts)
    return SimpleNamespace(design=SimpleNamespace(source=source, population=SimpleNamespace(seed=seed), arms=arms))


def test_variant_metrics_with_a_fake_runner(monkeypatch):
    design = {"tumour": "melanoma", "population": {"size": 10, "seed": 1}, "arms": {"pembro": {}}}
    rates = {"melanoma": 0.4, "nsclc": 0.2, "renal": 0.25, "pancreas": 0.0}
    seen = []

    def runner(doc):
        seen.append(doc)
        return {"arms": [{"name": "pembro", "orr": {"overall": {"rate": rates[doc["tumour"]]}}}]}

    monkeypatch.setattr(pf, "_target_design", lambda run: design)
    monkeypatch.setattr(pf, "_run_variant", runner)
    run = _fake_run(seed=1007, hosts=(("pembro", "t_cell_deficient"),))
    assert pf.variant_orr({"arm": "pembro", "variant": {"tumour": "renal"}}, run, None) == 0.25
    assert seen[-1]["population"]["seed"] == 1007 and seen[-1]["arms"]["pembro"]["host"]["immune"] == "t_cell_deficient"
    spec = {"arm": "pembro", "variants": [{"variant": {"tumour": t}, "x": x} for t, x in
                                          (("melanoma", 13.5), ("nsclc", 7.0), ("renal", 1.8), ("pancreas", 1.0))]}
    # ORR ranks 4, 2, 3, 1 against x ranks 4, 3, 2, 1 -> rho = 0.8
    assert pf.variant_orr_rank_correlation(spec, run, None) == pytest.approx(0.8)


def test_target_design_needs_a_validation_run():
    with pytest.raises(ValueError):
        pf._target_design(_fake_run(source="trial.yaml"))
