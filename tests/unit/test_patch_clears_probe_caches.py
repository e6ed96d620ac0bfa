"""A parameter swap (calibration, history matching) must not reuse validation runs made with the old values.

The variant probes (garon2015's PD-L1 strata, yarchoan2017's tumour types) cache their runs by the variant's
document; before 2026-12-04 that cache outlived a swap, so in a calibration worker every later candidate read the
strata of the first candidate it had run. The swap now clears every cache registered with
``parameters.store.depends_on_parameters``."""

from abscopal.inference.patch import values
from abscopal.parameters import store
from abscopal.validation import probes_cross_f


def test_variant_runs_are_recomputed_after_a_parameter_swap(monkeypatch):
    runs = []

    def fake_trial_summary(run):
        return {"marker": len(runs)}

    import abscopal.trial.analysis as analysis
    import abscopal.trial.design as design
    import abscopal.trial.run as trial_run

    monkeypatch.setattr(analysis, "trial_summary", fake_trial_summary)
    monkeypatch.setattr(design, "parse_trial", lambda doc, source=None: doc)
    monkeypatch.setattr(trial_run, "run_trial", lambda doc: runs.append(doc) or doc)
    probes_cross_f._summary_of.cache_clear()
    assert probes_cross_f._summary_of in store.DEPENDENT_CACHES
    probes_cross_f._summary_of('{"a": 1}')
    probes_cross_f._summary_of('{"a": 1}')
    assert len(runs) == 1  # cached while the values stay
    with values({"kill_rate": 5.0}, "human"):
        probes_cross_f._summary_of('{"a": 1}')
    assert len(runs) == 2  # the swap threw the old run away
    probes_cross_f._summary_of('{"a": 1}')
    assert len(runs) == 3  # and so did restoring the file values
