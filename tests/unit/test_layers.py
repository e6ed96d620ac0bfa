"""The layer rules of docs/design.md that the code must keep: the trial package returns data and the face draws it.

A test rather than a review habit, so that a figure or a printout creeping back into ``abscopal.trial`` fails CI
(it happened once: trial/plots.py imported the face's plots.py until the twenty-seventh session)."""

from importlib import resources
from pathlib import Path

from tests.helpers import imported_modules

FACE = {"abscopal.cli", "abscopal.__main__", "abscopal.plots", "abscopal.api", "abscopal.trial_report",
        "abscopal.trial_plots"}


def test_the_trial_package_never_imports_the_face():
    root = Path(str(resources.files("abscopal"))) / "trial"
    files = sorted(root.glob("*.py"))
    assert any(f.name == "run.py" for f in files)
    for path in files:
        bad = imported_modules(path, "abscopal.trial") & FACE
        assert not bad, f"{path.name} imports the face: {sorted(bad)}"


def test_the_import_reader_sees_a_relative_import_of_the_face(tmp_path):
    """The check above can fail: a trial module importing ..plots (the old trial/plots.py) is caught."""
    sample = tmp_path / "plots.py"
    sample.write_text("def f():\n    from ..plots import finish\n    from . import store\n")
    names = imported_modules(sample, "abscopal.trial")
    assert "abscopal.plots" in names and "abscopal.trial.store" in names
    assert names & FACE == {"abscopal.plots"}
