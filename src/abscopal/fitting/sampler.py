"""Posterior sampling with emcee (affine-invariant ensemble MCMC), checkpointed so that no finished work is lost.

Why emcee: the model is an ODE system with treatment events, simulated by abscopal's compiled engine without
gradients, so gradient-based samplers (NUTS in PyMC or NumPyro) would need a differentiable re-implementation
or a surrogate. The ensemble sampler needs only log densities, proposes half the walkers at once (one
batched engine call per half-step) and is invariant to linear correlations between parameters, which the
fitted parameters have (growth against killing). docs/fit.md gives the measurements behind the choice.

Checkpoint: every ``checkpoint`` steps the chain, its log densities and the sampler's random state are
written atomically to ``DIR/chain.npz``, with a fingerprint of the data, the design and the settings. The same
command run again continues from there (the result is the one an uninterrupted run gives); a checkpoint of
other data or settings is set aside (renamed ``chain.npz.old``) and the fit starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CHAIN_FILE = "chain.npz"


def fingerprint(model, walkers: int, steps_seed: int, move: str) -> str:
    text = json.dumps({"data": model.data.sha256, "design": hashlib.sha256(model.design.text.encode()).hexdigest(),
                       "parameters": model.names, "walkers": walkers, "seed": steps_seed, "nodes": model.nodes,
                       "rtol": model.rtol, "move": move}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _save(path: Path, chain, log_prob, state_random, stamp: str, simulations: int, seconds: float) -> None:
    name, keys, pos, has_gauss, cached = state_random
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, chain=chain, log_prob=log_prob, rs_keys=keys, rs_pos=pos, rs_has_gauss=has_gauss,
             rs_cached=cached, fingerprint=np.array(stamp), simulations=simulations, seconds=seconds)
    os.replace(tmp, path)


def _load(path: Path, stamp: str):
    if not path.is_file():
        return None
    try:
        saved = np.load(path)
        if str(saved["fingerprint"]) != stamp:
            os.replace(path, path.with_name(path.name + ".old"))
            print(f"{path}: a checkpoint of other data or settings; set aside as {path.name}.old, starting afresh",
                  file=sys.stderr)
            return None
        random_state = ("MT19937", saved["rs_keys"], int(saved["rs_pos"]), int(saved["rs_has_gauss"]),
                        float(saved["rs_cached"]))
        return (saved["chain"], saved["log_prob"], random_state, int(saved["simulations"]), float(saved["seconds"]))
    except Exception:  # a damaged checkpoint (killed while the OS wrote it): start afresh rather than fail
        return None


MOVES = ("de", "stretch")


def moves(name: str):
    """emcee's proposal: "de" (differential evolution 80%, DE snooker 20%) or "stretch" (emcee's default)."""
    import emcee

    if name == "stretch":
        return emcee.moves.StretchMove()
    return [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]


def run(model, *, walkers: int, steps: int, seed: int, out: Path | None = None, checkpoint: int = 25,
        progress=None, move: str = "de") -> dict:
    """Sample the posterior; returns {chain (steps, walkers, ndim), log_prob, acceptance, seconds, resumed}."""
    import emcee

    stamp = fingerprint(model, walkers, seed, move)
    path = Path(out) / CHAIN_FILE if out is not None else None
    rng = np.random.default_rng(seed)
    saved = _load(path, stamp) if path is not None else None
    sampler = emcee.EnsembleSampler(walkers, model.ndim, model.log_posterior, vectorize=True, moves=moves(move))
    chains, log_probs, seconds0, resumed = [], [], 0.0, 0
    if saved is not None:
        chain, log_prob, random_state, model.simulations, seconds0 = saved
        chains, log_probs, resumed = [chain], [log_prob], chain.shape[0]
        state = emcee.State(chain[-1], log_prob=log_prob[-1], random_state=random_state)
    else:
        # Start from the best of 4 x walkers draws of the prior (one batched call), spread as the prior is.
        candidates = model.sample_prior(4 * walkers, rng)
        lp = model.log_posterior(candidates)
        best = candidates[np.argsort(-np.nan_to_num(lp, nan=-np.inf))[:walkers]]
        state = emcee.State(best, random_state=np.random.RandomState(seed).get_state())
    done = resumed
    start = time.perf_counter()
    while done < steps:
        n = min(checkpoint, steps - done)
        sampler.reset()
        state = sampler.run_mcmc(state, n, skip_initial_state_check=True)
        chains.append(sampler.get_chain())
        log_probs.append(sampler.get_log_prob())
        done += n
        elapsed = seconds0 + time.perf_counter() - start
        if path is not None:
            _save(path, np.concatenate(chains), np.concatenate(log_probs), state.random_state, stamp,
                  model.simulations, elapsed)
        if progress is not None:
            progress(done, steps)
    chain, log_prob = np.concatenate(chains), np.concatenate(log_probs)
    accepted = np.mean(np.any(np.diff(chain, axis=0) != 0, axis=2)) if chain.shape[0] > 1 else 0.0
    return {"chain": chain[:steps], "log_prob": log_prob[:steps], "acceptance": float(accepted),
            "seconds": seconds0 + time.perf_counter() - start, "resumed_at": resumed}


def diagnostics(chain: np.ndarray, burn: int, labels: list[str]) -> dict:
    """Integrated autocorrelation times (emcee), split R-hat over walkers, effective sample size; ``converged``
    when the kept chain is at least 50 autocorrelation times long and every R-hat is below 1.05 (emcee's and
    Gelman's rules of thumb)."""
    import emcee

    kept = chain[burn:]
    n, w, d = kept.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = emcee.autocorr.integrated_time(kept, quiet=True, tol=0) if n > 1 else np.full(d, np.nan)
        rhat = split_rhat(kept)
        ess = n * w / np.maximum(tau, 1.0)
    converged = bool(np.all(np.isfinite(tau)) and np.all(n >= 50 * tau) and np.all(rhat < 1.05))

    def finite(values):  # JSON has no NaN: an undefined diagnostic (a chain too short or stuck) is null
        return {k: (round(float(v), 4) if np.isfinite(v) else None) for k, v in zip(labels, values, strict=True)}

    return {"autocorr_time": finite(tau), "rhat": finite(rhat), "ess": finite(ess),
            "kept_steps": int(n), "burn_in": int(burn), "converged": converged,
            "rule": "kept steps >= 50 x integrated autocorrelation time and split R-hat < 1.05 for every parameter"}


def split_rhat(chain: np.ndarray) -> np.ndarray:
    """Gelman-Rubin R-hat with each walker's chain split in halves (chain: steps x walkers x dims)."""
    n = chain.shape[0] // 2
    if n < 2:
        return np.full(chain.shape[2], np.inf)
    halves = np.concatenate([chain[:n], chain[n:2 * n]], axis=1)  # (n, 2w, d)
    means = halves.mean(axis=0)
    within = halves.var(axis=0, ddof=1).mean(axis=0)
    between = n * means.var(axis=0, ddof=1)
    var = (n - 1) / n * within + between / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.where(within > 0, var / within, np.inf))
