"""Screen a candidate change of the model against main, paired on the same targets and seeds.

    .venv/bin/python calibration/screen.py calibration/screens/<candidate>.toml [--seeds 2] [--workers 2]

A candidate file names what it changes and where the test was registered:

    what = "one line: the change"
    registered = "docs/calibration.md, <section>"
    species = "human"               # which calibration part to screen: "human", "mouse" or "both"
    patch = "f.diff"                # optional: a unified diff (relative to the candidate file); only src/ is applied

    [[set]]                         # any number: one parameter entry of one file under src/abscopal/parameters
    file = "shared/human.toml"
    key = "extinction_scale"
    value = 400

The screen copies the committed tree (``git archive HEAD src``) into a scratch folder, applies the patch,
regenerates the compiled equations when the patch touches the model, writes each ``set`` (replacing the entry's
value, or adding the entry to the file's ``[parameters]`` table with the unit of the shared entry of that name), and
runs ``abscopal validate <the calibration targets of the species> --seeds N --no-immune-null`` there
and on an unchanged copy of the same committed tree (main, so that uncommitted edits enter neither side), each
cached on disk (``--workdir``, default calibration/runs/screens; a second run of the same candidate re-uses every
finished evaluation). It prints the counts of both and every target whose
pass probability, numeric count or an observable moved, and writes them to ``<workdir>/<candidate>.json``.

A screen only decides whether a candidate goes on to the 10-seed decision that its registration names (the
rules of docs/calibration.md): it never reads the held-out part, and it is no evidence on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

PARAMETERS = Path("src") / "abscopal" / "parameters"
MODEL_FILES = ("src/abscopal/model/equations.py", "src/abscopal/model/declarations.py")


class CandidateError(ValueError):
    """A candidate file that cannot be applied: the message names the file, the key and what was expected."""


def load_candidate(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CandidateError(f"{path}: not a readable TOML file ({error})") from None
    for key in ("what", "registered", "species"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise CandidateError(f"{path}: key '{key}' must be a non-empty string")
    if data["species"] not in ("human", "mouse", "both"):
        raise CandidateError(f"{path}: key 'species' must be 'human', 'mouse' or 'both', not {data['species']!r}")
    sets = data.get("set", [])
    if not isinstance(sets, list):
        raise CandidateError(f"{path}: 'set' must be an array of tables ([[set]])")
    for i, entry in enumerate(sets):
        for key, kind in (("file", str), ("key", str), ("value", (int, float))):
            if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
                raise CandidateError(f"{path}: set {i + 1}: key '{key}' is missing or not a {getattr(kind, '__name__', 'number')}")
    if not sets and "patch" not in data:
        raise CandidateError(f"{path}: a candidate needs at least one [[set]] or a 'patch'")
    return data


def _format(value: float) -> str:
    return f"{value:.6g}"


def _shared_unit(parameters: Path, key: str, species: str) -> str:
    shared = tomllib.loads((parameters / "shared" / f"{species}.toml").read_text())["parameters"]
    if key not in shared:
        raise CandidateError(f"set: '{key}' is neither in the file nor a shared {species} parameter, so its unit is unknown")
    return shared[key]["unit"]


def apply_set(parameters: Path, entry: dict, why: str) -> str:
    """Write one ``set`` into the parameter tree rooted at ``parameters``; returns 'file: key old -> new'."""
    path = parameters / entry["file"]
    if not path.is_file():
        raise CandidateError(f"set: file '{entry['file']}' does not exist under src/abscopal/parameters")
    text = path.read_text()
    key, value = entry["key"], float(entry["value"])
    table = tomllib.loads(text).get("parameters", {})
    if key in table:
        pattern = rf"^({re.escape(key)} = \{{ value = )([^,]+)(,.*)$"
        new, n = re.subn(pattern, lambda m: m.group(1) + _format(value) + m.group(3), text, count=1, flags=re.M)
        if n != 1:
            raise CandidateError(f"set: entry '{key}' of '{entry['file']}' is not on one line as 'key = {{ value = ..., ...}}'")
        old = table[key]["value"]
    else:
        species = entry["file"].split("/")[1] if entry["file"].startswith("tumours/") else Path(entry["file"]).stem
        unit = _shared_unit(parameters, key, species)
        line = f'{key} = {{ value = {_format(value)}, unit = "{unit}", assumption = "screen: {why}" }}\n'
        if "\n[parameters]\n" not in text:
            raise CandidateError(f"set: '{entry['file']}' has no [parameters] table")
        new = text.replace("\n[parameters]\n", "\n[parameters]\n" + line, 1)
        old = "(shared)"
    tomllib.loads(new)  # the file must stay valid TOML
    path.write_text(new)
    return f"{entry['file']}: {key} {old} -> {_format(value)}"


def scratch_copy(folder: Path) -> None:
    """The committed src/ of HEAD in ``folder`` (uncommitted edits are left out on purpose)."""
    archive = subprocess.run(["git", "archive", "HEAD", "src"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")


def prepare(candidate: dict, candidate_path: Path, folder: Path) -> list[str]:
    """Build the candidate's tree in ``folder``; returns what was changed, one line each."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    scratch_copy(folder)
    done = []
    if "patch" in candidate:  # the patch first, so that a set can change what the patch adds or what its context reads
        patch = (candidate_path.parent / candidate["patch"]).resolve()
        if not patch.is_file():
            raise CandidateError(f"{candidate_path}: key 'patch': file {patch} does not exist")
        # Outside any repository: inside this one (the default workdir is) git apply resolves a git-style diff
        # ('diff --git a/src/...') against the repository root and silently skips every path outside the tree.
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(folder.parent))
        # Only src/ is screened: a candidate's whole diff (tests and docs too, as calibration/candidates keeps them)
        # applies without a src-only copy.
        applied = subprocess.run(["git", "apply", "--verbose", "--include=src/*", str(patch)], cwd=folder, env=env,
                                 capture_output=True, text=True)
        if applied.returncode != 0 or "Skipped patch 'src/" in applied.stderr or "Applied patch src/" not in applied.stderr:
            raise CandidateError(f"{candidate_path}: key 'patch': {patch.name} does not apply to the committed src/ "
                                 f"({applied.stderr.strip()})")
        text = patch.read_text()
        done.append(f"patch {patch.name}")
        if any(name in text for name in MODEL_FILES):
            env = dict(os.environ, PYTHONPATH=str(folder / "src"))
            subprocess.run([sys.executable, "-m", "abscopal.model.codegen"], env=env, check=True)
            done.append("equations regenerated")
    done += [apply_set(folder / PARAMETERS, entry, candidate["what"]) for entry in candidate.get("set", [])]
    return done


def target_ids(species: str) -> list[str]:
    from hm.simulators import calibrate_module

    parts = ("mouse", "human") if species == "both" else (species,)
    return [i for part in parts for i in calibrate_module().target_ids(part)]


def run_validate(src: Path, ids: list[str], seeds: int, workers: int, out: Path, cache: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, "-m", "abscopal", "validate", *ids, "--seeds", str(seeds), "--no-immune-null",
               "--workers", str(workers), "--cache", str(cache), "--json", str(out)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def counts(report: dict) -> tuple[int, int, int, int]:
    part = report["calibration"]
    return part["passed"], part["total"], part["numeric"]["passed"], part["numeric"]["total"]


def compare(base: dict, cand: dict, tolerance: float = 0.01) -> list[dict]:
    """Targets whose pass probability, numeric count or an observable (by more than ``tolerance``, relative above
    1) moved between the two reports."""
    rows = []
    cand_targets = {t["id"]: t for t in cand["targets"]}
    for b in base["targets"]:
        c = cand_targets.get(b["id"])
        if c is None:
            continue
        moved = {}
        for key, old in (b.get("simulated") or {}).items():
            new = (c.get("simulated") or {}).get(key)
            if isinstance(old, (int, float)) and isinstance(new, (int, float)) and abs(new - old) > tolerance * max(1.0, abs(old)):
                moved[key] = [old, new]
        if moved or b["pass_probability"] != c["pass_probability"] or b["numeric_passed"] != c["numeric_passed"]:
            rows.append({"id": b["id"], "p_pass": [b["pass_probability"], c["pass_probability"]],
                         "numeric": [b["numeric_passed"], c["numeric_passed"], b["numeric_total"]], "moved": moved})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "calibration" / "runs" / "screens")
    parser.add_argument("--ids", nargs="+", help="only these of the calibration targets (a quick look; not a screen)")
    args = parser.parse_args(argv)
    try:
        candidate = load_candidate(args.candidate)
    except CandidateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ids = target_ids(candidate["species"])
    if args.ids:
        unknown = sorted(set(args.ids) - set(ids))
        if unknown:
            print(f"error: --ids: not calibration targets of {candidate['species']}: {', '.join(unknown)}", file=sys.stderr)
            return 2
        ids = [i for i in ids if i in args.ids]
    name = args.candidate.stem
    work = args.workdir.resolve()
    tree = work / name / "tree"
    try:
        changed = prepare(candidate, args.candidate, tree)
    except CandidateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in changed:
        print(f"changed: {line}", file=sys.stderr)
    main_tree = work / name / "main_tree"  # main from the same committed tree, not the working copy's edits
    prepare({}, args.candidate, main_tree)
    print(f"screen: {len(ids)} calibration targets, {args.seeds} seeds, main then the candidate", file=sys.stderr)
    base = run_validate(main_tree / "src", ids, args.seeds, args.workers, work / name / "main.json", work / "cache")
    cand = run_validate(tree / "src", ids, args.seeds, args.workers, work / name / "candidate.json", work / "cache")
    rows = compare(base, cand)
    summary = {"candidate": str(args.candidate), "what": candidate["what"], "registered": candidate["registered"],
               "seeds": args.seeds, "changed": changed, "main": counts(base), "candidate_counts": counts(cand),
               "moved": rows}
    (work / f"{name}.json").write_text(json.dumps(summary, indent=1))
    b, c = counts(base), counts(cand)
    print(f"main:      directions {b[0]} of {b[1]}, numeric checks {b[2]} of {b[3]}")
    print(f"candidate: directions {c[0]} of {c[1]}, numeric checks {c[2]} of {c[3]}")
    for row in rows:
        moved = ", ".join(f"{k} {v[0]:.3g} -> {v[1]:.3g}" for k, v in list(row["moved"].items())[:4])
        print(f"  {row['id'][:48]:48s} p(pass) {row['p_pass'][0]:.1f} -> {row['p_pass'][1]:.1f}, "
              f"numeric {row['numeric'][0]} -> {row['numeric'][1]} of {row['numeric'][2]}; {moved}")
    print(f"wrote {work / f'{name}.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
