"""What starts progression in a virtual trial: a new lesion, or the measured lesions.

    PYTHONPATH=<tree>/src .venv/bin/python calibration/progression_modes.py TRIAL.yaml [--arm NAME]

Runs each arm of the trial file in this process (one worker) and, for every subject who progresses, asks whether
RECIST progression would have come as early without new lesions: if not, the progression started with a new lesion
(an occult deposit reaching the visible size, or a lesion that appears); otherwise with the measured lesions (the sum
of diameters, or unequivocal growth of non-target lesions). Published trials report the split (e.g. 42% of
progressions with responding or stable target lesions, Cancer Imaging 2015;15(Suppl 1):S8), which no validation
target reads. It does so by reading the trial's RECIST kernel twice per subject (``trial.run._readouts`` with and
without the scan of the first new lesion); tests/unit/test_progression_modes.py checks that hook both ways (no
occult lesions: no progression starts with a new lesion; deposits at the detection limit: most do).

Among responders (best overall response CR or PR) it counts the target lesions that respond themselves (a 30% fall
of the lesion's own diameter at some scan before progression): 85% of lesions respond in NSCLC responders to PD-1
blockade (Osorio 2019, below).

It also counts mixed progression among progressing subjects with at least two target lesions: at the progression
scan one target lesion is at least 20% above its own nadir (baseline included) while another is not (stable or
responding against its own nadir). Published for PD-1 blockade: 45% of progressing NSCLC and 53% of mismatch-repair-deficient patients
(Osorio JC et al., lesion-level response dynamics to PD-1 blockade, JCO Precis Oncol 2019; the abstract's word,
"mixed progression", whose exact lesion-level rule was not read).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml


def mixed_progression(diam, b, scans, baseline, targets, at) -> bool | None:
    """Whether progression at scan ``at`` (an index into ``scans``) is mixed: one target lesion >= 20% above its own
    nadir (baseline included) and another below that; None with fewer than two targets."""
    lesions = [baseline[t] for t in targets]
    if len(lesions) < 2:
        return None
    base = np.asarray(diam[b])[lesions]  # baseline row
    track = np.asarray(diam[scans])[: at + 1][:, lesions]
    nadir = np.minimum(base, track[:-1].min(axis=0)) if at > 0 else base
    now = track[-1]
    growing = now >= 1.2 * nadir
    return bool(growing.any() and not growing.all())


def lesion_responses(diam, b, scans, baseline, targets, until) -> tuple[int, int]:
    """(target lesions, of which responding) of one subject: a target lesion responds when its diameter at some scan
    up to ``until`` (an index into ``scans``, inclusive; None = every scan) is at least 30% below its baseline, the
    lesion-level rule of Osorio 2019 (a 30% fall of the lesion's own diameter)."""
    lesions = [baseline[t] for t in targets]
    if not lesions:
        return 0, 0
    base = np.asarray(diam[b])[lesions]
    track = np.asarray(diam[scans])[:, lesions]
    if until is not None:
        track = track[: until + 1]
    best = track.min(axis=0) if len(track) else base
    return len(lesions), int(np.sum(best <= 0.7 * base))


def count_modes(trial: dict, workdir: Path) -> dict[str, dict[str, int]]:
    """{arm: {'new lesion first', 'measured lesions', 'no progression': subjects}} for one trial document."""
    from abscopal import cli
    from abscopal.trial import run

    out: dict[str, dict[str, int]] = {}
    original = run._readouts
    for arm in trial["arms"]:
        counts: collections.Counter = collections.Counter()

        def hooked(*args, _counts=counts):
            result = original(*args)
            if result is None:
                return result
            without_new = original(*args[:8], None, *args[9:])  # argument 8: the scan of the first new lesion
            first, other = result[1], without_new[1]
            if first is not None:
                mixed = mixed_progression(args[1], args[2], args[3], args[4], result[0], first)
                if mixed is not None:
                    _counts["evaluable for mixed"] += 1
                    _counts["mixed progression"] += int(mixed)
            if result[2] in ("CR", "PR"):  # a responder: how many of its target lesions respond themselves
                n, responding = lesion_responses(args[1], args[2], args[3], args[4], result[0], first)
                _counts["responder target lesions"] += n
                _counts["responding lesions of responders"] += responding
            if first is None:
                _counts["no progression"] += 1
            elif other is None or other > first:
                _counts["new lesion first"] += 1
            else:
                _counts["measured lesions"] += 1
            return result

        single = dict(trial, arms={arm: trial["arms"][arm]})
        path = workdir / f"{arm}.yaml"
        path.write_text(yaml.safe_dump(single))
        run._readouts = hooked
        try:
            code = cli.main(["trial", str(path), "--out", str(workdir / arm), "--workers", "1"])
        finally:
            run._readouts = original
        if code not in (0, None):
            raise SystemExit(f"{path}: abscopal trial exited with {code}")
        out[arm] = {k: counts.get(k, 0) for k in ("new lesion first", "measured lesions", "no progression",
                                                  "evaluable for mixed", "mixed progression",
                                                  "responder target lesions", "responding lesions of responders")}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trial")
    parser.add_argument("--arm", help="only this arm")
    args = parser.parse_args(argv)
    trial = yaml.safe_load(Path(args.trial).read_text())
    if args.arm:
        if args.arm not in trial["arms"]:
            raise SystemExit(f"{args.trial}: arms: no arm '{args.arm}'; expected one of {sorted(trial['arms'])}")
        trial["arms"] = {args.arm: trial["arms"][args.arm]}
    with tempfile.TemporaryDirectory() as tmp:
        modes = count_modes(trial, Path(tmp))
    for arm, c in modes.items():
        progressed = c["new lesion first"] + c["measured lesions"]
        share = c["new lesion first"] / progressed if progressed else float("nan")
        print(f"{arm}: {progressed} progressions, {c['new lesion first']} started with a new lesion ({share:.3f}), "
              f"{c['measured lesions']} with the measured lesions; {c['no progression']} without progression")
        if c["evaluable for mixed"]:
            print(f"{arm}: mixed progression in {c['mixed progression']} of {c['evaluable for mixed']} progressions with "
                  f"two or more target lesions ({c['mixed progression'] / c['evaluable for mixed']:.3f})")
        if c["responder target lesions"]:
            print(f"{arm}: {c['responding lesions of responders']} of {c['responder target lesions']} target lesions of "
                  f"responders respond themselves "
                  f"({c['responding lesions of responders'] / c['responder target lesions']:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
