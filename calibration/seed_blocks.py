"""How much does a 10-seed count move by Monte-Carlo chance alone? Score disjoint blocks of seeds from one cached
multi-seed validation run, as `abscopal validate --seeds B` would score each block on its own.

Run `abscopal validate --part calibration --seeds N --cache DIR` first (N a multiple of the block size), then
`python calibration/seed_blocks.py DIR --seeds N --block 10 [--part calibration] [--json FILE]`. Prints, per block,
the counted directions and numeric checks (pass probability >= 0.8 within the block, with the immune-null control of
the same seeds), and per check how often its verdict differs between blocks. Reads only the cache: nothing is run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from abscopal.validation.cache import EvaluationCache
from abscopal.validation.suite import score_target, select_targets


def block_rows(cache: Path, seeds: int, block: int, part: str) -> list[list[dict]]:
    store = EvaluationCache(cache)
    blocks = [range(b, b + block) for b in range(0, seeds, block)]
    out = [[] for _ in blocks]
    for target in select_targets(part=part):
        if target.status == "out_of_scope":
            continue
        for i, ks in enumerate(blocks):
            n = ks if target.design is not None else range(1)
            evaluations = [store.get(target, k, False) for k in n]
            if any(e is None for e in evaluations):
                raise SystemExit(f"{cache}: no cached evaluation of {target.id} for seeds {n.start}-{n.stop - 1}; "
                                 f"run validate --seeds {seeds} --cache {cache} first")
            nulls = [e for e in (store.get(target, k, True) for k in n) if e is not None]
            out[i].append(score_target(target, evaluations, nulls or None))
    return out


def counts(rows: list[dict]) -> dict:
    counted = [r for r in rows if r["passed"] is not None and r["counted"]]
    return {"directions": sum(bool(r["passed"]) for r in counted), "directions_total": len(counted),
            "numeric": sum(r["numeric_passed"] for r in counted),
            "numeric_total": sum(r["numeric_total"] for r in counted)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cache", type=Path)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--block", type=int, default=10)
    ap.add_argument("--part", default="calibration")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    if a.seeds % a.block:
        raise SystemExit("--seeds must be a multiple of --block")
    blocks = block_rows(a.cache, a.seeds, a.block, a.part)
    summary = [counts(rows) for rows in blocks]
    flips = []
    for rows in zip(*blocks, strict=True):
        verdicts = [bool(r["passed"]) for r in rows if r["counted"]]
        if len(set(verdicts)) > 1:
            flips.append({"id": rows[0]["id"], "kind": "direction", "pass_probability": [r["pass_probability"] for r in rows]})
        for checks in zip(*(r["numeric"] for r in rows), strict=True):
            if len({c["passed"] for c in checks}) > 1:
                flips.append({"id": rows[0]["id"], "kind": f"numeric {checks[0]['observable']}",
                              "pass_probability": [c["pass_probability"] for c in checks]})
    for i, s in enumerate(summary):
        print(f"seeds {i * a.block}-{(i + 1) * a.block - 1}: directions {s['directions']} of {s['directions_total']}, "
              f"numeric checks {s['numeric']} of {s['numeric_total']}")
    for f in flips:
        print(f"verdict differs between blocks: {f['id']} ({f['kind']}): {f['pass_probability']}")
    if a.json:
        a.json.write_text(json.dumps({"blocks": summary, "flips": flips}, indent=1) + "\n")


if __name__ == "__main__":
    main()
