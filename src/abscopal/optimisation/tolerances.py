"""Normal-tissue tolerances (``tolerances.toml``) and the dose limits that ``constraints.normal_tissue`` sets.

The model has no organs at risk, so a limit is read as a limit on the prescription: the organ next to an
irradiated lesion is taken to receive ``dose_fraction`` times the dose per fraction (1 by default: the organ
abuts the target, the most cautious reading). The organ's EQD2 (its own alpha/beta) must then not exceed the
EQD2 of the published maximum point dose for the tabulated number of fractions nearest the regimen's (ties:
the smaller number). For a tabulated number of fractions this is exactly the published physical limit; for
others it is the linear-quadratic conversion of the nearest published one, which is least uncertain when
the numbers of fractions are close.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..radiobiology import bed, eqd2

TABLE = "tolerances.toml"


@dataclass(frozen=True)
class Organ:
    name: str
    alpha_beta_gy: float
    dmax_gy: tuple[tuple[int, float], ...]  # (fractions, maximum point dose in Gy), by fractions
    endpoint: str
    source: str
    confirmed: str

    def limit_eqd2(self, fractions: int) -> tuple[float, int]:
        """(EQD2 limit in Gy, the tabulated number of fractions it comes from) for a regimen of ``fractions``."""
        n_ref, total = min(self.dmax_gy, key=lambda row: (abs(row[0] - fractions), row[0]))
        return eqd2(total / n_ref, n_ref, self.alpha_beta_gy), n_ref


def _gy(text: str) -> float:
    value, unit = str(text).split()
    if unit != "Gy":  # package data: a wrong unit is a bug here, not user input
        raise ValueError(f"{TABLE}: {text!r} is not in Gy")
    return float(value)


@lru_cache(maxsize=1)
def load_table() -> tuple[dict[str, Organ], dict[str, str]]:
    """(organs by name, dose-limiting organ by lesion site)."""
    raw = tomllib.loads(resources.files("abscopal.optimisation").joinpath(TABLE).read_text())
    organs = {}
    for name, row in raw["organs"].items():
        dmax = tuple(sorted((int(n), _gy(v)) for n, v in row["dmax"].items()))
        organs[name] = Organ(name, _gy(row["alpha_beta"]), dmax, row["endpoint"], row["source"], row["confirmed"])
    return organs, dict(raw["sites"])


@dataclass(frozen=True)
class Limit:
    """One normal-tissue limit: on ``site`` (None: every irradiated site), an EQD2 or BED bound at ``alpha_beta_gy``."""

    site: str | None
    metric: str  # "eqd2" | "bed"
    alpha_beta_gy: float
    dose_fraction: float
    organ: Organ | None = None  # a table organ (limit by number of fractions), else the fixed value below
    value_gy: float | None = None
    source: str = "the optimisation file"

    def bound(self, fractions: int) -> tuple[float, str]:
        """(limit in Gy of ``metric``, where it comes from) for a regimen of ``fractions``."""
        if self.organ is None:
            return float(self.value_gy), self.source
        limit, n_ref = self.organ.limit_eqd2(fractions)
        return limit, f"{self.organ.name}: Dmax for {n_ref} fraction(s), {self.organ.source}"

    def dose(self, dose_per_fraction: float, fractions: int) -> float:
        """The organ's EQD2 or BED (Gy) for the prescription ``dose_per_fraction`` x ``fractions``."""
        d = self.dose_fraction * dose_per_fraction
        f = eqd2 if self.metric == "eqd2" else bed
        return f(d, fractions, self.alpha_beta_gy)

    def check(self, dose_per_fraction: float, fractions: int) -> dict:
        limit, source = self.bound(fractions)
        value = self.dose(dose_per_fraction, fractions)
        return {"metric": self.metric, "alpha_beta_gy": self.alpha_beta_gy, "value_gy": round(value, 3),
                "limit_gy": round(limit, 3), "dose_fraction": self.dose_fraction, "source": source,
                "satisfied": bool(value <= limit + 1e-9)}
