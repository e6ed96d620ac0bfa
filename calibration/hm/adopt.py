"""Carry finished simulations across a code change that does not change what the model computes.

The point cache is keyed on the model fingerprint (every package file that can change a simulated value), so
any edit of such a file - a refactoring, a faster implementation, a new option that is off by default - makes
hours of finished simulations stale. ``adopt_stale`` re-runs a few stored points of each stale group with the
current code and compares every observable exactly (bit for bit; NaN equals NaN). Only when all of them agree are
the group's points stored again under the current fingerprint; one difference refuses the whole group, and it
stays stale. Agreement on a sample is evidence, not proof, that the change does not touch the model: the sample
is taken across the group (first, last and evenly between, in file order) and its size is the caller's choice.
"""

from __future__ import annotations

import json
import math


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def first_difference(new: dict, old: dict) -> str | None:
    """The first observable whose value differs (after the JSON round trip the cache applies), or None."""
    new = json.loads(json.dumps(new))
    for key in sorted(set(new) | set(old)):
        if key not in new or key not in old:
            return f"{key} (present in only one)"
        if not _same(new[key], old[key]):
            return f"{key}: {old[key]!r} stored, {new[key]!r} now"
    return None


def sample(records: list[dict], n: int) -> list[dict]:
    """Up to ``n`` records spread over the group: first, last and evenly between (deterministic)."""
    if n >= len(records):
        return list(records)
    if n == 1:
        return [records[0]]
    step = (len(records) - 1) / (n - 1)
    return [records[round(i * step)] for i in range(n)]


def adopt_stale(cache, simulator, checks: int = 3, log=print) -> list[dict]:
    """Adopt every stale group of ``cache`` whose sampled points ``simulator`` reproduces exactly."""
    report = []
    for (fingerprint, digest), records in cache.stale().items():
        entry = {"fingerprint": fingerprint, "digest": digest, "points": len(records), "checked": 0,
                 "adopted": 0, "difference": None}
        for rec in sample(records, checks):
            observables, _ = simulator(rec["params"], rec["seed"])
            entry["checked"] += 1
            difference = first_difference(observables, rec["observables"])
            if difference is not None:
                entry["difference"] = difference
                break
        if entry["difference"] is None:
            entry["adopted"] = cache.adopt(records)
            log(f"adopted {entry['adopted']} of {len(records)} points of model {str(fingerprint)[:12]}: "
                f"{entry['checked']} re-run and identical")
        else:
            log(f"refused {len(records)} points of model {str(fingerprint)[:12]}: {entry['difference']}")
        report.append(entry)
    return report
