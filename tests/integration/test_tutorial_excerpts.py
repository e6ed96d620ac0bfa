"""The console excerpts of docs/tutorial.md are what the commands print today.

On 2026-12-07 (thirty-fourth session) four of the tutorial's five excerpts were found stale: the mouse trial showed
0% tumour-free mice where the model gives 30%, and the NSCLC trial an out-of-field difference of +5.2 points where it
gives +1.7. A newcomer compares their screen with the tutorial, so every result line of each excerpt (a line with a
rate, a median, a hazard ratio or a lesion's change) must appear in the command's output. The provenance line
(parameter hashes) is left out: it changes with every parameter value and says nothing a reader checks.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
RESULT_LINE = re.compile(r"\d+\.\d%|median|HR |^\S+\s+\S+\s+(yes|no)\s+\d")


def _excerpts() -> list[tuple[list[str], list[str]]]:
    """(command arguments, expected result lines) of each console excerpt that runs a shipped example."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", TUTORIAL.read_text(), flags=re.S):
        lines = block.splitlines()
        command = lines[0]
        if not command.startswith("$ abscopal ") or "examples/" not in command:
            continue
        expected = [line for line in lines[1:] if RESULT_LINE.search(line) and "parameters " not in line]
        found.append((shlex.split(command[2:])[1:], expected))
    return found


EXCERPTS = _excerpts()


def test_the_tutorial_has_its_excerpts():
    assert len(EXCERPTS) >= 4 and all(expected for _, expected in EXCERPTS)


@pytest.mark.parametrize("args, expected", EXCERPTS, ids=[" ".join(a[:2]) for a, _ in EXCERPTS])
def test_each_excerpt_matches_the_command_output(args, expected, tmp_path):
    args = [str(tmp_path / "out") if a.startswith("results/") else a for a in args]
    out = subprocess.run([sys.executable, "-m", "abscopal", *args], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    printed = out.stdout.splitlines()
    missing = [line for line in expected if line.rstrip() not in (p.rstrip() for p in printed)]
    assert not missing, f"docs/tutorial.md shows lines that `abscopal {' '.join(args)}` no longer prints: {missing}"
