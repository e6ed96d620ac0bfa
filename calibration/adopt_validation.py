"""Carry cached validation evaluations of one species across a code change that leaves that species' values alone.

`abscopal validate --cache DIR` keys every evaluation on the model fingerprint of the target's species, and code
counts for both species. So a mouse candidate that touches shared code (a new mechanism, off in patients) makes
every clinical evaluation stale, and its decision run re-simulates the clinical targets (about 23 minutes of the
calibration part at 20 seeds on 2 cores) only to find them unchanged.

This tool adopts them instead, target by target:
  1. the earlier source tree (``--from``, e.g. a worktree of main) lists, for every target of ``--species``, every
     seed and both immune variants, the cache file its model wrote;
  2. for each target whose content is the same in both trees and that has stored evaluations, the current code
     re-runs the check seeds (``--check-seeds``, default the encoded seed) with and without T cells where stored,
     and compares every observable and problem exactly (bit for bit after the cache's JSON round trip);
  3. only when every re-run agrees are the target's stored evaluations written under the current fingerprint,
     each marked with ``adopted_from`` (the earlier fingerprint). One difference refuses the whole target.

Agreement on the re-run seeds is evidence, not proof, that the change does not move the target at other seeds; a
change that is off for a species by a factor of exactly 1 (or a term times exactly 0) passes it. The report says
how many targets were adopted, refused or had nothing stored, and the CPU seconds the re-runs took.

    .venv/bin/python calibration/adopt_validation.py --from /tmp/main-tree --species human --seeds 20 \\
        --cache .validation-cache

Run it from the tree of the candidate (the current code); ``--from`` is the tree whose evaluations are stored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hm.adopt import first_difference  # noqa: E402

LISTER = r"""
import dataclasses, hashlib, json, sys
from abscopal.validation import suite
from abscopal.validation.cache import EvaluationCache, model_fingerprint, target_species
species, seeds, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = EvaluationCache(folder)
target_content = getattr(suite, "target_content", dataclasses.asdict)  # trees before 2026-12-07 key the whole target
out = {"fingerprint": model_fingerprint(species), "targets": {}}
for tid, t in sorted(suite.load_targets().items()):
    if target_species(t) != species or t.design is None:
        continue
    content = hashlib.sha256(json.dumps(target_content(t), sort_keys=True, default=str).encode()).hexdigest()
    out["targets"][tid] = {"content": content, "paths": [[k, null, str(store._path(t, k, null))] for k in range(seeds)
                                                        for null in (False, True)]}
print(json.dumps(out))
"""


def list_paths(src: Path | None, species: str, seeds: int, cache: Path) -> tuple[str, dict]:
    """The species' model fingerprint and {target id: {"content": sha256 of the target, "paths": [[seed, null,
    cache file], ...]}} as the package under ``src`` (None: the current one) keys them."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run([sys.executable, "-c", LISTER, species, str(seeds), str(cache)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"listing the cache keys of {src or 'the current tree'} failed:\n{done.stderr.strip()}")
    listing = json.loads(done.stdout)
    return listing["fingerprint"], listing["targets"]


def comparable(old: dict, new: dict, tid: str) -> bool:
    """Whether target ``tid`` is listed by both trees with the same content (only then are its runs compared)."""
    return tid in new and old[tid]["content"] == new[tid]["content"]


def _stored(path: str) -> dict | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def adopt_targets(old: dict, new: dict, evaluate, check_seeds: tuple[int, ...] = (0,), old_fingerprint: str = "",
                  log=print) -> list[dict]:
    """Adopt the stored evaluations of ``old`` (list_paths of the earlier tree) under ``new``'s paths, target by
    target, when ``evaluate(target_id, seed, null)`` -> (values, problems) reproduces every stored check seed."""
    report = []
    for tid in sorted(old):
        entry = {"target": tid, "stored": 0, "checked": 0, "adopted": 0, "status": "", "difference": None}
        report.append(entry)
        if not comparable(old, new, tid):
            entry["status"] = "target changed" if tid in new else "not in the current tree"
            continue
        pairs = [(tuple(o[:2]), o[2], n[2]) for o, n in zip(old[tid]["paths"], new[tid]["paths"], strict=True)]
        stored = {key: (src, dst, _stored(src)) for key, src, dst in pairs}
        stored = {key: v for key, v in stored.items() if v[2] is not None}
        entry["stored"] = len(stored)
        if not stored:
            entry["status"] = "nothing stored"
            continue
        checks = [key for key in stored if key[0] in check_seeds]
        if not checks:
            entry["status"] = "no stored check seed"
            continue
        for seed, null in checks:
            values, problems = evaluate(tid, seed, null)
            entry["checked"] += 1
            record = stored[(seed, null)][2]
            difference = (first_difference(values, record["values"])
                          or first_difference({"problems": list(problems)}, {"problems": record["problems"]}))
            if difference is not None:
                entry["difference"] = f"seed {seed}{' immune-null' if null else ''}: {difference}"
                break
        if entry["difference"] is not None:
            entry["status"] = "refused"
            log(f"{tid}: refused ({entry['difference']})")
            continue
        for _key, (_, dst, record) in stored.items():
            if Path(dst).exists():
                continue
            Path(dst).parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(f"{dst}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(dict(record, adopted_from=old_fingerprint)))
            os.replace(tmp, dst)
            entry["adopted"] += 1
        entry["status"] = "adopted"
        log(f"{tid}: adopted {entry['adopted']} of {entry['stored']} stored evaluations ({entry['checked']} re-run)")
    return report


def _evaluate(job):
    from abscopal.validation import suite

    tid, seed, null = job
    ev = suite.evaluate_target(suite.load_targets()[tid], seed, null)
    return job, ev.values, ev.problems, ev.seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", required=True, help="the earlier tree (its src/ holds the package)")
    parser.add_argument("--species", choices=("mouse", "human"), required=True)
    parser.add_argument("--cache", default=".validation-cache", help="the validation cache folder")
    parser.add_argument("--seeds", type=int, default=20, help="seed indices whose stored evaluations are carried")
    parser.add_argument("--check-seeds", default="0", help="comma-separated seed indices re-run per target")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)

    source = Path(args.source).resolve() / "src"
    if not (source / "abscopal").is_dir():
        raise SystemExit(f"--from {args.source}: no src/abscopal there (expected the root of a source tree)")
    cache = Path(args.cache).resolve()
    check_seeds = tuple(int(s) for s in args.check_seeds.split(","))
    old_fp, old = list_paths(source, args.species, args.seeds, cache)
    new_fp, new = list_paths(None, args.species, args.seeds, cache)
    if old_fp == new_fp:
        print(f"the {args.species} fingerprint is the same in both trees ({new_fp[:12]}): nothing to adopt")
        return 0

    # run the check seeds in parallel first (the only simulations), then compare in order
    jobs = [(tid, seed, null) for tid in old if comparable(old, new, tid)
            for seed, null, path in (tuple(p) for p in old[tid]["paths"])
            if seed in check_seeds and Path(path).exists()]
    start = time.time()
    results, cpu = {}, 0.0
    if args.workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as pool:
            for job, values, problems, seconds in pool.map(_evaluate, jobs):
                results[job] = (values, problems)
                cpu += seconds
    else:
        for job in jobs:
            _, values, problems, seconds = _evaluate(job)
            results[job] = (values, problems)
            cpu += seconds
    report = adopt_targets(old, new, lambda tid, seed, null: results[(tid, seed, null)], check_seeds, old_fp)
    counts = {s: sum(1 for e in report if e["status"] == s) for s in sorted({e["status"] for e in report})}
    summary = {"species": args.species, "from": old_fp, "to": new_fp, "check_seeds": list(check_seeds),
               "seeds": args.seeds, "targets": counts, "evaluations_adopted": sum(e["adopted"] for e in report),
               "rerun_cpu_seconds": round(cpu, 1), "wall_seconds": round(time.time() - start, 1), "report": report}
    print(f"{args.species} {old_fp[:12]} -> {new_fp[:12]}: targets {counts}; {summary['evaluations_adopted']} "
          f"evaluations adopted; re-runs {cpu:.0f} CPU-s, {summary['wall_seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 1 if counts.get("refused") else 0


if __name__ == "__main__":
    sys.exit(main())
