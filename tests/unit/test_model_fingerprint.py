"""Which files of the package enter the model fingerprint that keys the validation and calibration caches.

A file that can change a simulated value must enter it (else a stale result would be reused after a model
change); the fit and optimise tools and presentation modules must not (else editing them would throw away
hours of cached calibration runs)."""

from importlib import resources
from pathlib import Path

from abscopal.validation.cache import counts_for_model, model_fingerprint


def test_model_files_count():
    for name in ("model/equations.py", "model/_generated.py", "engine/kernel.py", "parameters/shared/human.toml",
                 "parameters/tumours/human/nsclc.toml", "population.py", "response.py", "validation/probes_cross_f.py",
                 "trial/endpoints.py", "agents/human.toml", "agents/mouse.toml", "api.py"):
        assert counts_for_model(Path(name)), name


def test_tools_presentation_and_targets_do_not_count():
    for name in ("fitting/sampler.py", "fitting/data.py", "optimisation/search.py", "cli.py", "plots.py",
                 "trial_plots.py", "trial_report.py", "report.py", "validation/targets/lee2009_ablative_rt_cd8_dependence.yaml",
                 "validation/split.tsv", "model/__pycache__/x.pyc"):
        assert not counts_for_model(Path(name)), name


def test_fingerprint_covers_every_counted_file_of_the_installed_package():
    root = Path(str(resources.files("abscopal")))
    counted = [p for p in root.rglob("*") if p.is_file() and counts_for_model(p.relative_to(root))]
    assert any(p.name == "equations.py" for p in counted)
    assert not any("fitting" in p.relative_to(root).parts for p in counted)
    assert len(model_fingerprint()) == 64


def test_each_species_fingerprint_leaves_out_only_the_other_species_parameter_files():
    from abscopal.validation.cache import data_species

    assert data_species(Path("parameters/shared/mouse.toml")) == "mouse"
    assert data_species(Path("parameters/populations/human.toml")) == "human"
    assert data_species(Path("parameters/tumours/mouse/ct26.toml")) == "mouse"
    assert data_species(Path("agents/mouse.toml")) == "mouse" and data_species(Path("agents/human.toml")) == "human"
    for shared in ("parameters/shared/sites.toml", "parameters/models/kosinsky2018.toml", "agents/library.py",
                   "model/equations.py", "population.py"):
        assert data_species(Path(shared)) is None, shared
        assert counts_for_model(Path(shared), "mouse") and counts_for_model(Path(shared), "human"), shared
    assert counts_for_model(Path("parameters/shared/mouse.toml"), "mouse")
    assert not counts_for_model(Path("parameters/shared/mouse.toml"), "human")
    assert not counts_for_model(Path("parameters/tumours/human/nsclc.toml"), "mouse")
    assert not counts_for_model(Path("agents/human.toml"), "mouse") and not counts_for_model(Path("agents/mouse.toml"), "human")
    assert counts_for_model(Path("parameters/tumours/human/nsclc.toml"))  # the whole model's fingerprint keeps both
    assert len({model_fingerprint(), model_fingerprint("mouse"), model_fingerprint("human")}) == 3


def test_a_target_is_keyed_by_its_own_species_and_a_probe_target_by_the_whole_model():
    from abscopal.validation.cache import target_species
    from abscopal.validation.suite import load_targets

    targets = load_targets()
    assert target_species(targets["dovedi2017_fractionated_rt_pd1_abscopal"]) == "mouse"
    assert target_species(targets["theelen2019_pembro_rt_nsclc_pembrort"]) == "human"
    assert target_species(targets["jin_edic_formula"]) is None


def test_a_simulation_keyed_to_one_species_cannot_read_the_other_species_values():
    """The species fingerprint is safe only if a mouse simulation never reads human files (and the reverse):
    inside species_scope the loaders refuse the other species, also when the data are already cached."""
    import pytest

    from abscopal import population
    from abscopal.agents import agent_keys, get_agent
    from abscopal.parameters import store

    store.load_shared("mouse")  # cached before the scope opens: the check runs on cache hits too
    population.population_values("mouse")
    get_agent("mouse", "anti-pd-1")
    with store.species_scope("human"):
        assert store.load_shared("human")
        with pytest.raises(store.SpeciesScopeError, match="mouse"):
            store.load_shared("mouse")
        with pytest.raises(store.SpeciesScopeError):
            store.load_parameter_set("mouse", "ct26")
        with pytest.raises(store.SpeciesScopeError):
            population.population_values("mouse")
        assert get_agent("human", "nivolumab").target == "pd1"
        with pytest.raises(store.SpeciesScopeError):
            get_agent("mouse", "anti-pd-1")
        assert "anti-pd-1" in agent_keys("mouse")  # names only (a scenario naming the other species' drug is told so)
    assert store.load_shared("mouse")  # the scope is closed again
    assert hasattr(store.load_shared, "cache_clear")  # inference.patch clears the caches through the wrapper
