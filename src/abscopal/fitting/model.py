"""The statistical model of a fit: priors, the mixed-effects likelihood, and batched simulation.

Sampled vector ``u`` (all on the log scale): ``log theta_j`` for each fitted parameter, then ``log omega`` (the
between-subject standard deviation of log doubling time) and ``log sigma`` (the residual standard deviation
of a log measurement).

- Priors: ``log theta_j ~ Normal(log file value, PRIOR_SD_LOG)`` (a log-normal around the value of the
  design's parameter set, overrides included), truncated to the parameter's physical bounds
  (:mod:`abscopal.scenario.bounds`); ``log omega ~ Normal(log omega_0, 0.5)`` with omega_0 from the
  population file's ``doubling_time_cv``; ``log sigma ~ Normal(log sigma_0, 0.5)`` with sigma_0 = 0.2 for
  caliper volumes and 0.1 for CT diameters.
- Between-subject variability (the hierarchical layer): subject i's doubling time is
  ``doubling_time * exp(omega * z_i)``, ``z_i ~ Normal(0, 1)``. The random effect is integrated out of each
  subject's likelihood by adaptive Gauss-Hermite quadrature (:meth:`FitModel.log_likelihood`, as NLME
  software does), so the sampler sees only the population-level parameters and every likelihood costs
  ``subjects x (3 x NEWTON_STEPS + NODES)`` simulations whatever the number of observations.
- Measurements: ``log y = log f(t) + eps``, ``eps ~ Normal(0, sigma)``, f the simulated lesion volume (mouse)
  or sum of lesion diameters (clinical); a value at or below the detection limit contributes
  ``P(log y <= log limit)``.

Every likelihood call of a batch of parameter vectors is one call of the engine (all vectors x subjects x
nodes at once): the compiled cohort engine is fastest on large batches.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, logsumexp

from ..errors import InputError, near_miss
from ..model.declarations import parameter_declarations
from ..model.subject import parameter_values, subject_from_scenario
from ..scenario.bounds import bound_for
from ..simulate import diameter_from_volume, run_subjects
from .data import FitData, observation_arrays
from .design import Design, subject_scenario

DEFAULT_PARAMETERS = ("doubling_time", "alpha", "antigenicity", "kill_rate")
PRIOR_SD_LOG = 1.0  # one standard deviation = a factor e (2.7) either way of the file value
OMEGA_PRIOR_SD = 0.5
SIGMA_PRIOR_SD = 0.5
SIGMA0 = {"mouse": 0.2, "clinical": 0.1}
TRUNCATE_SD = 4.0  # every prior is cut at 4 of its SDs from its median (and at the physical bounds)
OMEGA_MAX = 1.5  # a between-subject SD of log doubling time above 1.5 (a 4.5-fold SD) is not one growth law
SIGMA_RANGE = (0.005, 3.0)
NODES = 3  # adaptive Gauss-Hermite nodes per subject (after the Newton steps that centre them)
NEWTON_STEPS = 2
FD_STEP = 0.05  # central-difference step in z (standard deviations of the random effect)
MAX_NEWTON_STEP = 1.5
RTOL = 1e-5  # the engine's relative tolerance in fits: far below the measurement error, faster than 1e-6
DT_BOUND = bound_for("doubling_time", "mouse")  # a subject's doubling time stays inside the physical bound


def check_parameters(names, design: Design, key: str = "--parameters", file: str = "<command line>") -> list[str]:
    declared = parameter_declarations()
    out = []
    for name in names:
        if name not in declared:
            raise InputError(f"unknown parameter {name!r}", key=key, file=file,
                             expected="parameter names of `abscopal parameters TUMOUR`, comma-separated",
                             suggestion=near_miss(name, declared))
        if name in out:
            raise InputError(f"parameter {name!r} given twice", key=key, file=file, expected="distinct names")
        out.append(name)
    if not out:
        raise InputError("no parameters", key=key, file=file, expected="at least one parameter name")
    return out


@dataclass
class Prior:
    name: str
    unit: str
    center: float  # the file value (median of the log-normal)
    sd_log: float
    low: float
    high: float

    def to_dict(self) -> dict:
        return {"distribution": "lognormal", "median": self.center, "sd_log": self.sd_log,
                "bounds": [self.low, self.high]}


class FitModel:
    """The likelihood of ``data`` under ``design`` for the fitted ``names``; vectorised over parameter vectors."""

    def __init__(self, data: FitData, design: Design, names: list[str], *, nodes: int = NODES, rtol: float = RTOL):
        from .. import population

        self.data, self.design, self.names = data, design, list(names)
        self.nodes, self.rtol = nodes, rtol
        species, tumour = design.species, design.tumour
        declared = parameter_declarations()
        first_arm = next(iter(design.arms.values()))
        values, _ = parameter_values(species, tumour, first_arm.overrides)
        self.priors = []
        for name in self.names:
            bound = bound_for(name, species)
            center = values[name]
            if center <= 0:
                raise InputError(f"parameter {name!r} has the value {center:g} in the design", key="--parameters",
                                 file="<command line>", expected="a parameter whose value is above 0 (fits work on the log scale)")
            low = bound.low if bound.low > 0 else center * 1e-6
            self.priors.append(Prior(name, declared[name].unit, center, PRIOR_SD_LOG, low, bound.high))
        cv = population.population_values(species).get("doubling_time_cv", 0.2)
        self.omega0 = math.sqrt(math.log1p(cv * cv))
        self.sigma0 = SIGMA0[data.kind]
        self.doubling_time0 = values["doubling_time"]
        self.labels = self.names + ["omega_doubling_time", "sigma_log"]
        self.ndim = len(self.labels)
        obs = observation_arrays(data)
        self.obs = obs
        self.duration = max(1.0, math.ceil(max((s.times[-1] for s in data.subjects if s.times), default=1.0)))
        self.scenarios = [subject_scenario(design, data, s, self.duration) for s in data.subjects]
        z, w = np.polynomial.hermite_e.hermegauss(nodes)
        self.z, self.log_w = z, np.log(w / math.sqrt(2 * math.pi))
        self.lesion_slot = [None if les is None else [x.id for x in self.scenarios[k].patient.lesions].index(les)
                            for k, les in zip(obs["subject"], obs["lesion"], strict=True)]
        self.simulations = 0

    # -- priors -------------------------------------------------------------------------------------------------
    def prior_center(self) -> np.ndarray:
        return np.array([math.log(p.center) for p in self.priors] + [math.log(self.omega0), math.log(self.sigma0)])

    def prior_sd(self) -> np.ndarray:
        return np.array([p.sd_log for p in self.priors] + [OMEGA_PRIOR_SD, SIGMA_PRIOR_SD])

    def log_prior(self, u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(u)
        z = (u - self.prior_center()) / self.prior_sd()
        lp = -0.5 * np.sum(z**2, axis=1)
        # Truncation: far tails would be simulated with values (a doubling time of seconds) that cost the engine
        # millions of steps, and a posterior out there means the model cannot describe the data anyway.
        lp = np.where(np.any(np.abs(z) > TRUNCATE_SD, axis=1), -np.inf, lp)
        for j, p in enumerate(self.priors):
            theta = np.exp(u[:, j])
            lp = np.where((theta < p.low) | (theta > p.high), -np.inf, lp)
        omega, sigma = np.exp(u[:, -2]), np.exp(u[:, -1])
        lp = np.where((omega > OMEGA_MAX) | (sigma < SIGMA_RANGE[0]) | (sigma > SIGMA_RANGE[1]), -np.inf, lp)
        return lp

    def sample_prior(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = []
        while len(out) < n:
            u = self.prior_center() + self.prior_sd() * rng.standard_normal(self.ndim)
            if np.isfinite(self.log_prior(u)[0]):
                out.append(u)
        return np.array(out)

    # -- simulation ---------------------------------------------------------------------------------------------
    def values_of(self, u: np.ndarray) -> dict[str, float]:
        return {name: float(math.exp(u[j])) for j, name in enumerate(self.names)}

    def simulate(self, thetas: list[dict[str, float]], factors: np.ndarray) -> np.ndarray:
        """Simulated log observables, shape (len(thetas), subjects, len(factors[0]), T, lesions or 1).

        ``factors[m, k]``: the multiplier of the doubling time of every subject at node/draw k for vector m, or
        ``factors[m, i, k]``: of subject i.
        """
        if factors.ndim == 2:
            factors = np.repeat(factors[:, None, :], len(self.scenarios), axis=1)
        scenarios = []
        for m, theta in enumerate(thetas):
            base = dict(theta)
            dt = base.pop("doubling_time", None)
            for i, scenario in enumerate(self.scenarios):
                fixed = tuple((n, v) for n, v in scenario.overrides if n not in theta and n != "doubling_time")
                dt0 = dt if dt is not None else float(dict(scenario.overrides).get("doubling_time", self.doubling_time0))
                for f in factors[m, i]:
                    dt_i = min(max(float(dt0 * f), DT_BOUND.low), DT_BOUND.high)
                    over = fixed + tuple((n, repr(float(v))) for n, v in base.items()) + (("doubling_time", repr(dt_i)),)
                    scenarios.append(dataclasses.replace(scenario, overrides=over))
        subjects = [subject_from_scenario(s) for s in scenarios]
        self.simulations += len(subjects)
        trajectories = run_subjects(subjects, self.duration, 1.0, rtol=self.rtol)
        n_les = max(len(s.patient.lesions) for s in self.scenarios)
        T = len(trajectories[0].time)
        out = np.full((len(thetas), len(self.scenarios), factors.shape[2], T, n_les), np.nan)
        it = iter(trajectories)
        for m in range(len(thetas)):
            for i in range(len(self.scenarios)):
                for k in range(factors.shape[2]):
                    tr = next(it)
                    if tr.status != "ok":
                        continue
                    visible = tr.volume_mm3[:, : len(self.scenarios[i].patient.lesions)]
                    with np.errstate(divide="ignore"):
                        out[m, i, k, :, : visible.shape[1]] = np.log(np.maximum(visible, 1e-12))
        self.time = trajectories[0].time
        return out

    def predicted(self, logv: np.ndarray) -> np.ndarray:
        """Log observable at each observation, shape (M, K, n_obs): interpolated in time on the log scale."""
        t = self.obs["time"]
        lo = np.clip(np.floor(t).astype(int), 0, logv.shape[3] - 1)
        hi = np.clip(lo + 1, 0, logv.shape[3] - 1)
        frac = t - lo
        subj = self.obs["subject"]
        if self.data.kind == "mouse":
            slots = np.asarray(self.lesion_slot, int)
            a, b = logv[:, subj, :, lo, slots], logv[:, subj, :, hi, slots]  # (n_obs, M, K) by advanced indexing
            a = np.moveaxis(a, 0, -1)
            b = np.moveaxis(b, 0, -1)
        else:
            d = diameter_from_volume(np.exp(logv))  # (M, N, K, T, L)
            with np.errstate(divide="ignore"):
                sld = np.log(np.nansum(np.where(np.isfinite(d), d, 0.0), axis=4))
            bad = ~np.isfinite(logv[..., 0])
            sld = np.where(bad, np.nan, sld)
            a = np.moveaxis(sld[:, subj, :, lo], 0, -1)
            b = np.moveaxis(sld[:, subj, :, hi], 0, -1)
        return a + (b - a) * frac

    def subject_loglik(self, U: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(y_i | theta_m, z) for each vector m, subject i and standardised random effect z[m, i, k]."""
        omega, sigma = np.exp(U[:, -2]), np.exp(U[:, -1])
        logv = self.simulate([self.values_of(u) for u in U], np.exp(omega[:, None, None] * z))
        M, N, K = z.shape
        pred = self.predicted(logv)  # (M, K, n_obs): subject i's own column k
        y = self.obs["log_value"][None, None, :]
        s = sigma[:, None, None]
        resid = (y - pred) / s
        point = -0.5 * resid**2 - np.log(s) - 0.5 * math.log(2 * math.pi)
        cens = log_ndtr(resid)  # P(log y_true <= log limit)
        ll_obs = np.where(self.obs["censored"][None, None, :], cens, point)
        ll_obs = np.where(np.isfinite(ll_obs), ll_obs, -1e6)  # a failed or extinct simulation: a very poor fit
        ll = np.zeros((M, K, N))
        np.add.at(ll, (slice(None), slice(None), self.obs["subject"]), ll_obs)
        return np.moveaxis(ll, 1, 2)  # (M, N, K)

    def log_likelihood(self, U: np.ndarray) -> np.ndarray:
        """Sum over subjects of the marginal likelihood, the random effect integrated by adaptive Gauss-Hermite.

        Each subject's data usually pin its growth far more tightly than the between-subject spread does, so
        fixed quadrature nodes would miss the narrow peak. For each (vector, subject): NEWTON_STEPS Newton
        steps on f(z) = log p(y | z) - z^2/2 (derivatives by central differences, three simulations a step, all
        subjects and vectors in one engine call) find the conditional mode z*, and ``nodes`` Gauss-Hermite
        points scaled by the curvature there integrate it (Pinheiro and Bates 1995; one node is the Laplace
        approximation).
        """
        U = np.atleast_2d(U)
        M, N = U.shape[0], len(self.scenarios)
        center = np.zeros((M, N))
        curvature = np.full((M, N), -1.0)
        for _ in range(NEWTON_STEPS):
            pts = center[..., None] + np.array([-FD_STEP, 0.0, FD_STEP])
            ll = self.subject_loglik(U, pts)
            f = ll - 0.5 * pts**2
            grad = (f[..., 2] - f[..., 0]) / (2 * FD_STEP)
            hess = (f[..., 2] - 2 * f[..., 1] + f[..., 0]) / FD_STEP**2
            curvature = np.minimum(hess + 1.0, 0.0) - 1.0  # concave at least as the prior: a step never flies off
            center = center + np.clip(-grad / curvature, -MAX_NEWTON_STEP, MAX_NEWTON_STEP)
        scale = 1.0 / np.sqrt(-curvature)
        x, w = self.z, np.exp(self.log_w)
        pts = center[..., None] + scale[..., None] * x
        ll = self.subject_loglik(U, pts)
        terms = ll - 0.5 * pts**2 + 0.5 * x**2 + np.log(w)
        marginal = logsumexp(terms, axis=2) + np.log(scale)
        return marginal.sum(axis=1)

    def log_posterior(self, U: np.ndarray) -> np.ndarray:
        U = np.atleast_2d(U)
        lp = self.log_prior(U)
        ok = np.isfinite(lp)
        out = np.full(U.shape[0], -np.inf)
        if ok.any():
            out[ok] = lp[ok] + self.log_likelihood(U[ok])
        return out
