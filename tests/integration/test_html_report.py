"""`--report FILE.html` on simulate, cohort and trial: one self-contained file (figures embedded as data: URIs,
no external reference, the notice, the scenario as run, provenance) that a browser renders offline.

The browser test uses headless Chromium (Debian package `chromium`; or the binary named by $ABSCOPAL_CHROMIUM) and
is skipped, saying why, where there is none. Screenshots go to tmp_path and, when ABSCOPAL_TEST_ARTIFACTS names
a folder, to ABSCOPAL_TEST_ARTIFACTS/report/."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from abscopal.cli import main
from abscopal.vocabulary import NOTICE

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "figures"
PNG = b"\x89PNG\r\n\x1a\n"


class _Elements(HTMLParser):
    """Every start tag with its attributes; counts unclosed tags that must be closed."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "img", "br", "hr", "link", "input"}:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def _report(tmp_path: Path, command: str, file: Path, *extra: str) -> Path:
    path = tmp_path / f"{command}.html"
    assert main([command, str(file), "--report", str(path), *extra]) == 0
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    return {"simulate": _report(tmp, "simulate", ROOT / "examples" / "melanoma_3x8_ipilimumab.yaml"),
            "trial": _report(tmp, "trial", DATA / "trial_mouse_six_arms.yaml", "--workers", "1"),
            "cohort": _report(tmp, "cohort", ROOT / "examples" / "cohort_nsclc_sbrt_pembrolizumab.yaml",
                              "--size", "6", "--workers", "1")}


@pytest.mark.parametrize("command,figures", [("simulate", {"lesions.png", "alc.png", "drugs.png"}),
                                             ("trial", {"km_endpoint.png", "group_curves.png"}),
                                             ("cohort", {"waterfall.png", "spider.png", "swimmer.png", "km_pfs.png", "km_os.png"})])
def test_report_is_one_self_contained_file(reports, command, figures):
    text = reports[command].read_text(encoding="utf-8")
    parser = _Elements()
    parser.feed(text)
    parser.close()
    assert parser.open == [], f"unclosed tags {parser.open}"
    images = [attrs for tag, attrs in parser.tags if tag == "img"]
    assert {img["alt"] for img in images} >= figures
    for img in images:
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1]).startswith(PNG)
    for tag, attrs in parser.tags:  # nothing is fetched: no src or href outside the file
        for key in ("src", "href"):
            assert not attrs.get(key, "data:").lower().startswith(("http:", "https:", "//", "file:")), (tag, attrs)
    assert not re.search(r"https?://", text)
    assert "<script" not in text.lower()
    assert text.count(NOTICE) >= 2  # at the top and at the bottom
    # provenance: version, model fingerprint, date and the command line as given
    assert re.search(r"<td>model fingerprint[^<]*</td><td>[0-9a-f]{64}</td>", text)
    assert re.search(r"<td>written \(UTC\)</td><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", text)
    assert f"abscopal {command} " in text and "--report" in text
    assert "<td>abscopal version</td>" in text
    # the scenario as run: the file's own text
    source = {"simulate": ROOT / "examples" / "melanoma_3x8_ipilimumab.yaml", "trial": DATA / "trial_mouse_six_arms.yaml",
              "cohort": ROOT / "examples" / "cohort_nsclc_sbrt_pembrolizumab.yaml"}[command]
    from html import escape

    assert escape(source.read_text().splitlines()[1]) in text


def test_trial_report_tables(reports):
    text = re.sub(r'src="data:[^"]*"', "", reports["trial"].read_text(encoding="utf-8"))
    for arm in ("control", "rt_20x1", "rt_8x3", "anti_ctla4", "rt_20x1_anti_ctla4", "rt_8x3_anti_ctla4"):
        assert f"<tr><td>{arm}</td>" in text
    assert "Comparisons" in text and "e+0" not in text  # an ALC of 3683 /uL, not 3.68e+03


def _chromium() -> str | None:
    named = os.environ.get("ABSCOPAL_CHROMIUM")
    if named:
        return named
    return next((path for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                 if (path := shutil.which(name))), None)


def _browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("command", ["simulate", "trial", "cohort"])
def test_report_renders_in_headless_chromium(reports, command, tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("no Chromium binary found (apt-get install chromium, or set ABSCOPAL_CHROMIUM): "
                    "the report's rendering is not checked in a browser here")
    report = reports[command]
    # 1. every embedded image decodes: a copy of the report with a probe that counts decoded images
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace(
        "</body>", "<script>window.addEventListener('load', () => { const imgs = [...document.images]; "
        "document.body.setAttribute('data-images', imgs.length); document.body.setAttribute('data-decoded', "
        "imgs.filter(i => i.complete && i.naturalWidth > 0).length); });</script></body>"), encoding="utf-8")
    dom = _browser(binary, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()).stdout
    images = re.search(r'data-images="(\d+)"', dom)
    decoded = re.search(r'data-decoded="(\d+)"', dom)
    assert images and decoded, dom[:500]
    assert int(images.group(1)) >= 2 and decoded.group(1) == images.group(1)
    # 2. a screenshot of the report itself, kept for a person to look at; it is not blank
    shot = tmp_path / f"report_{command}.png"
    _browser(binary, tmp_path / "profile", "--window-size=1280,4000", f"--screenshot={shot}", report.as_uri())
    assert shot.exists() and shot.read_bytes().startswith(PNG)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    assert (pixels.std(axis=(0, 1)) > 0.05).any() and (pixels.min(axis=2) < 0.5).mean() > 0.01
    target = os.environ.get("ABSCOPAL_TEST_ARTIFACTS")
    if target:
        (Path(target) / "report").mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, Path(target) / "report" / shot.name)
        shutil.copy2(report, Path(target) / "report" / report.name)
