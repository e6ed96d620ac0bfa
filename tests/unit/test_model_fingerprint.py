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
                 "trial/endpoints.py", "agents/agents.toml"):
        assert counts_for_model(Path(name)), name


def test_tools_presentation_and_targets_do_not_count():
    for name in ("fitting/sampler.py", "fitting/data.py", "optimisation/search.py", "cli.py", "plots.py",
                 "trial/plots.py", "report.py", "validation/targets/lee2009_ablative_rt_cd8_dependence.yaml",
                 "model/__pycache__/x.pyc"):
        assert not counts_for_model(Path(name)), name


def test_fingerprint_covers_every_counted_file_of_the_installed_package():
    root = Path(str(resources.files("abscopal")))
    counted = [p for p in root.rglob("*") if p.is_file() and counts_for_model(p.relative_to(root))]
    assert any(p.name == "equations.py" for p in counted)
    assert not any("fitting" in p.relative_to(root).parts for p in counted)
    assert len(model_fingerprint()) == 64
