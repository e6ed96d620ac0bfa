"""One JSON file per simulated point, so that a killed run continues where it stopped.

The key is a hash of the parameter values (12 significant digits), the species, the seed index, the model
fingerprint (``abscopal.validation.cache.model_fingerprint`` for the real model) and the simulator's own
digest (for the real model: the content of the targets it runs). Writes are atomic (temporary file, rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path


def record_order(rec: dict) -> tuple:
    """A record's place in :meth:`PointCache.records`: its parameter values by name, then its seed index."""
    return tuple(float(v) for _, v in sorted(rec["params"].items())), int(rec["seed"])


def point_key(params: dict[str, float], species: str, seed: int, fingerprint: str, digest: str = "") -> str:
    blob = json.dumps({"params": {k: f"{float(v):.12g}" for k, v in sorted(params.items())}, "species": species,
                       "seed": int(seed), "fingerprint": fingerprint, "digest": digest}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class PointCache:
    def __init__(self, folder: str | Path, species: str, fingerprint: str, digest: str = ""):
        self.folder, self.species, self.fingerprint, self.digest = Path(folder), species, fingerprint, digest

    def key(self, params: dict, seed: int) -> str:
        return point_key(params, self.species, seed, self.fingerprint, self.digest)

    def path(self, params: dict, seed: int) -> Path:
        return self.folder / f"{self.key(params, seed)}.json"

    def get(self, params: dict, seed: int) -> dict | None:
        try:
            return json.loads(self.path(params, seed).read_text())
        except (OSError, ValueError):
            return None

    def put(self, params: dict, seed: int, observables: dict, problems: list[str], seconds: float,
            extra: dict | None = None) -> dict:
        record = {"params": {k: float(v) for k, v in params.items()}, "species": self.species, "seed": int(seed),
                  "fingerprint": self.fingerprint, "digest": self.digest, "observables": observables,
                  "problems": problems, "seconds": round(seconds, 3),
                  "created": time.strftime("%Y-%m-%dT%H:%M:%S"), **(extra or {})}
        path = self.path(params, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, path)
        return record

    def stored(self):
        """Every readable stored record of this species, in file order (a file being written is skipped)."""
        for path in sorted(self.folder.glob("*.json")) if self.folder.exists() else []:
            try:
                rec = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if rec.get("species") == self.species:
                yield rec

    def records(self) -> list[dict]:
        """Every stored point of this species, model and simulator (other fingerprints are stale), ordered by
        parameter values and seed.

        Not in file order: a file's name hashes the model fingerprint, so a change of fingerprint that changes no
        simulated value would reorder the points, and the Gaussian-process fits depend on the order of their
        training points in the sixth digit (enough to move a wave's region by single candidate points and so the
        next wave's design). Ordered by value, an unchanged model gives the same fits and the same ensemble."""
        current = (self.fingerprint, self.digest)
        found = [rec for rec in self.stored() if (rec.get("fingerprint"), rec.get("digest")) == current]
        return sorted(found, key=record_order)

    def stale(self) -> dict[tuple[str, str], list[dict]]:
        """Stored points of this species made under another model fingerprint or simulator digest, grouped by
        (fingerprint, digest)."""
        groups: dict[tuple[str, str], list[dict]] = {}
        for rec in self.stored():
            key = (rec.get("fingerprint"), rec.get("digest"))
            if key != (self.fingerprint, self.digest):
                groups.setdefault(key, []).append(rec)
        return groups

    def adopt(self, records: list[dict]) -> int:
        """Store ``records`` again under this cache's fingerprint and digest, with their original observables and
        the fingerprint they were made with (``adopted_from``); the old files stay. Returns how many were new."""
        new = 0
        for rec in records:
            params, seed = rec["params"], rec["seed"]
            if self.get(params, seed) is not None:
                continue
            self.put(params, seed, rec["observables"], rec.get("problems", []), rec.get("seconds", 0.0),
                     {"adopted_from": {"fingerprint": rec.get("fingerprint"), "digest": rec.get("digest"),
                                       "created": rec.get("created")}})
            new += 1
        return new

