"""Gaussian-process emulators of every observable a check uses, and the implausibility of every check.

Per observable: an output transform (arcsine-square-root for rates, log for positive quantities such as
volumes, days and hazard ratios, identity otherwise), a linear regression mean on the unit-cube inputs (log
parameters for log-scale entries), and a scikit-learn GaussianProcessRegressor on the residuals with an ARD
squared-exponential kernel plus a white-noise nugget. The nugget absorbs the seed-to-seed (Monte-Carlo) scatter
of the single-seed simulations; the emulator variance used below is the GP's predictive variance of the
seed-mean with the nugget taken out (the Monte-Carlo term is added separately, per check).

Implausibility of check c at x: the check margin m_c (calibrate.py's signed relative margin) is propagated
from the emulators by sampling (S draws per observable, shared across points), then

    I_c(x) = max(0, -E[m_c]) / sqrt(Var_emulator[m_c] + Var_MC[m_c] + discrepancy^2)

Var_MC[m_c] is the variance of the simulated margin over repeated seeds at one point (the centre of the space),
taken to hold everywhere; ``discrepancy`` is the stated model-discrepancy sd on the margin scale. A point is
non-implausible when the ``order``-th largest I_c (default 2: the second largest, so that one badly emulated
or structurally failing check cannot rule out the whole space) is at most ``cutoff`` (default 3, Pukelsheim's
three-sigma rule).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_solve

TRANSFORMS = ("asin_sqrt", "log", "identity")


def _forward(kind: str, y):
    y = np.asarray(y, dtype=float)
    if kind == "asin_sqrt":
        return np.arcsin(np.sqrt(np.clip(y, 0.0, 1.0)))
    if kind == "log":
        return np.log(np.maximum(y, 1e-300))
    return y


def _inverse(kind: str, z):
    if kind == "asin_sqrt":
        return np.sin(np.clip(z, 0.0, np.pi / 2)) ** 2
    if kind == "log":
        return np.exp(np.clip(z, -700, 700))
    return z


def choose_transform(y, hint: str | None = None) -> str:
    y = np.asarray(y, dtype=float)
    if hint == "fraction" and np.all((y >= 0) & (y <= 1)):
        return "asin_sqrt"
    if np.all(y > 0):
        return "log"
    return "identity"


class ObservableEmulator:
    """One observable: transform, linear mean, GP on the residuals (``predict`` gives transformed mean, var)."""

    def __init__(self, key: str, hint: str | None = None, restarts: int = 1, ridge: float = 1e-3):
        self.key, self.hint, self.restarts, self.ridge = key, hint, restarts, ridge
        self.transform, self.beta, self.gp, self.constant, self.noise_var = "identity", None, None, None, 0.0
        self.loo: dict = {}
        self.n = 0

    def fit(self, X: np.ndarray, y: np.ndarray) -> ObservableEmulator:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        ok = np.isfinite(y)
        X, y = X[ok], y[ok]
        self.n = len(y)
        self.transform = choose_transform(y, self.hint)
        z = _forward(self.transform, y)
        if len(z) < 2 or np.ptp(z) < 1e-12:
            self.constant = float(z.mean()) if len(z) else np.nan
            return self
        A = np.column_stack([np.ones(len(X)), X])
        penalty = self.ridge * len(X) * np.eye(A.shape[1])
        penalty[0, 0] = 0.0
        self.beta = np.linalg.solve(A.T @ A + penalty, A.T @ z)
        resid = z - A @ self.beta
        d = X.shape[1]
        kernel = (ConstantKernel(1.0, (1e-3, 1e2)) * RBF(np.full(d, 0.5), (1e-2, 1e2))
                  + WhiteKernel(0.05, (1e-8, 2.0)))
        self.gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=self.restarts, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gp.fit(X, resid)
        scale = float(np.atleast_1d(self.gp._y_train_std)[0]) ** 2
        self.noise_var = float(self.gp.kernel_.k2.noise_level) * scale
        self.loo = self._loo()
        return self

    def _loo(self) -> dict:
        """Leave-one-out standardised errors of the GP (closed form at the fitted hyperparameters)."""
        K_inv = cho_solve((self.gp.L_, True), np.eye(len(self.gp.alpha_)))
        alpha = np.ravel(self.gp.alpha_)
        std_err = alpha / np.sqrt(np.diag(K_inv))
        return {"n": int(len(alpha)), "rms_standardised": float(np.sqrt(np.mean(std_err**2))),
                "share_beyond_3": float(np.mean(np.abs(std_err) > 3))}

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.gp is None:
            return np.full(len(X), self.constant), np.zeros(len(X))
        mean, sd = self.gp.predict(X, return_std=True)
        A = np.column_stack([np.ones(len(X)), X])
        return A @ self.beta + mean, np.maximum(sd**2 - self.noise_var, 0.0)

    def sample(self, X: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Draws (points x len(normals)) of the observable's seed-mean, back on its own scale."""
        mean, var = self.predict(X)
        return _inverse(self.transform, mean[:, None] + np.sqrt(var)[:, None] * normals[None, :])

    @property
    def usable(self) -> bool:
        return self.gp is not None or np.isfinite(self.constant if self.constant is not None else np.nan)


@dataclass
class WaveEmulator:
    """The emulators of one wave and the implausibility rule it applies."""

    checks: list
    emulators: dict
    mc_var: np.ndarray
    discrepancy: float = 0.05
    cutoff: float = 3.0
    order: int = 2
    samples: int = 64
    notes: list = field(default_factory=list)

    def _normals(self, j: int) -> np.ndarray:
        return np.random.default_rng(1000 + j).standard_normal(self.samples)

    def margin_moments(self, U: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        """Emulated mean and variance of every check margin (points x checks); NaN where not emulated."""
        U = np.atleast_2d(U)
        mean = np.full((len(U), len(self.checks)), np.nan)
        var = np.full_like(mean, np.nan)
        keys = sorted(self.emulators)
        for start in range(0, len(U), chunk):
            part = U[start:start + chunk]
            draws = {k: self.emulators[k].sample(part, self._normals(j)) for j, k in enumerate(keys)
                     if self.emulators[k].usable}
            for c, check in enumerate(self.checks):
                if not all(k in draws for k in check.observables):
                    continue
                m = check.margin({k: draws[k] for k in check.observables})
                mean[start:start + chunk, c], var[start:start + chunk, c] = m.mean(axis=1), m.var(axis=1)
        return mean, var

    def implausibility(self, U: np.ndarray) -> np.ndarray:
        mean, var = self.margin_moments(U)
        implaus = np.maximum(0.0, -mean) / np.sqrt(var + self.mc_var[None, :] + self.discrepancy**2)
        return np.nan_to_num(implaus, nan=0.0)  # a check without a usable emulator rules nothing out

    def simulated_implausibility(self, margins: np.ndarray) -> np.ndarray:
        """Implausibility of simulated margins (points x checks): no emulator term."""
        return np.maximum(0.0, -margins) / np.sqrt(self.mc_var[None, :] + self.discrepancy**2)

    def ordered(self, implaus: np.ndarray) -> np.ndarray:
        k = min(self.order, implaus.shape[1])
        return -np.sort(-implaus, axis=1)[:, k - 1] if implaus.shape[1] else np.zeros(len(implaus))

    def nonimplausible(self, U: np.ndarray) -> np.ndarray:
        return self.ordered(self.implausibility(U)) <= self.cutoff


def _fit_one(key, hint, restarts, X, y):
    return ObservableEmulator(key, hint, restarts).fit(X, y)


def fit_wave(checks, X: np.ndarray, records_obs: list[dict], mc_var: np.ndarray, *, discrepancy: float, cutoff: float,
             order: int, samples: int = 64, restarts: int = 1, workers: int = 1, log=None) -> WaveEmulator:
    """One emulator per observable a check uses, fitted in ``workers`` processes (joblib)."""
    keys = sorted({k for c in checks for k in c.observables})
    hints = {f"{c.prefix}/{n}": c.hints.get(n) for c in checks for n in c.names}
    jobs, notes = [], []
    for key in keys:
        y = np.array([np.nan if r.get(key) is None else r[key] for r in records_obs], dtype=float)
        if np.isfinite(y).sum() < max(5, len(y) // 2):
            notes.append(f"{key}: {int(np.isfinite(y).sum())} of {len(y)} simulations have a value (at least 5 and half "
                         "are needed): not emulated, its checks rule nothing out this wave")
            continue
        jobs.append((key, hints.get(key), restarts, X, y))
    if log:
        log(f"  fitting {len(jobs)} emulators on {len(X)} points in {workers} process(es)")
    if workers > 1 and len(jobs) > 1:
        from joblib import Parallel, delayed

        fitted = Parallel(n_jobs=workers)(delayed(_fit_one)(*job) for job in jobs)
    else:
        fitted = [_fit_one(*job) for job in jobs]
    return WaveEmulator(checks, {e.key: e for e in fitted}, np.asarray(mc_var, float), discrepancy, cutoff, order,
                        samples, notes)
