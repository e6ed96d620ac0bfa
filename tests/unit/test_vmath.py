"""exp, log and pow of model/vmath.py (the right-hand side's transcendental functions, vectorisable).

Measured against the C library (NumPy's exp and log, correctly rounded in all but rare cases) over wide and
narrow argument ranges: at most 1 ulp apart, the bound the module states. Special values follow IEEE-754 and
the C library (0, subnormals, infinities, NaN, negative arguments), and each function gives the same bits
whether the compiler vectorised the loop around it or not (the lanes engine relies on that).
"""

import math

import numba as nb
import numpy as np
import pytest

from abscopal.model.vmath import vexp, vlog, vpow


@nb.njit(error_model="numpy")
def _exp_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = vexp(x[i])


@nb.njit(error_model="numpy")
def _log_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = vlog(x[i])


@nb.njit(error_model="numpy")
def _exp_serial(x, out):
    """One call at a time (the loop carries a dependence, so it is not vectorised)."""
    carry = 0.0
    for i in range(x.shape[0]):
        out[i] = vexp(x[i] + carry * 0.0)
        carry = out[i]


@nb.njit(error_model="numpy")
def _pow_loop(a, b, out):
    for i in range(a.shape[0]):
        out[i] = vpow(a[i], b[i])


def _ulps(got, want):
    return np.abs(got - want) / np.spacing(np.abs(want))


@pytest.mark.parametrize("low, high", [(-700.0, 700.0), (-1.0, 1.0), (-1e-8, 1e-8)])
def test_exp_within_one_ulp(low, high):
    x = np.random.default_rng(3).uniform(low, high, 400_000)
    got = np.empty_like(x)
    _exp_loop(x, got)
    assert _ulps(got, np.exp(x)).max() <= 1.0


@pytest.mark.parametrize("exponents", [(-1000.0, 1000.0), (-0.5, 0.5)])
def test_log_within_one_ulp(exponents):
    x = np.exp2(np.random.default_rng(4).uniform(*exponents, 400_000))
    got = np.empty_like(x)
    _log_loop(x, got)
    assert _ulps(got, np.log(x)).max() <= 1.0


def test_special_values():
    x = np.array([-np.inf, np.inf, np.nan, 0.0, -745.2, -745.0, -708.5, 709.7, 709.8, 1e-300])
    got = np.empty_like(x)
    _exp_loop(x, got)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    normal = np.isfinite(want) & (np.abs(want) >= 2.2250738585072014e-308)
    assert np.array_equal(got[~normal], want[~normal], equal_nan=True)  # 0, inf, nan; -745.0 gives the least subnormal
    assert _ulps(got[normal], want[normal]).max() <= 1.0
    y = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 1e-310, 1.0, 2.2250738585072014e-308])
    got = np.empty_like(y)
    _log_loop(y, got)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.log(y)
    assert np.array_equal(got, want, equal_nan=True)
    a = np.array([0.0, 0.0, 0.0, 2.0, 0.5])
    b = np.array([2.0, 0.0, -1.0, 10.0, 3.0])
    got = np.empty_like(a)
    _pow_loop(a, b, got)
    assert got[0] == 0.0 and got[1] == 1.0 and got[2] == math.inf
    np.testing.assert_allclose(got[3:], [1024.0, 0.125], rtol=2e-15)


def test_pow_matches_the_c_library_for_the_model_ranges():
    rng = np.random.default_rng(5)
    a = np.exp(rng.uniform(-40.0, 40.0, 100_000))  # ratios such as ALC / reference or threshold / signal
    b = rng.uniform(0.0, 4.0, 100_000)  # exponents such as the priming Hill coefficient
    got = np.empty_like(a)
    _pow_loop(a, b, got)
    # exp(b log a): the rounding of log a and of the product, each half an ulp of b log a, become relative errors
    # of the result of about 2 |b log a| ulp (at most about 320 ulp, 7e-14, here: far below the tolerance, 4e-6)
    assert (_ulps(got, a ** b) <= 1.0 + 2.0 * np.abs(b * np.log(a))).all()


def test_vectorised_and_scalar_calls_give_the_same_bits():
    x = np.random.default_rng(6).uniform(-50.0, 50.0, 100_000)
    vectorised, serial = np.empty_like(x), np.empty_like(x)
    _exp_loop(x, vectorised)
    _exp_serial(x, serial)
    assert np.array_equal(vectorised, serial)
    assert all(vexp(v) == vectorised[i] for i, v in enumerate(x[:200]))  # a single call from Python
