"""exp, log and pow that the compiler can vectorise across subjects (the lanes of engine/lanes.py).

numba compiles ``math.exp`` and ``math.log`` to calls of the C library, and LLVM cannot vectorise a loop
that calls them unless it is built with Intel's SVML (the llvmlite wheels are not). These versions are
plain arithmetic, integer bit operations and selects, so a loop over subjects that uses them becomes SIMD
code (AVX2: 4 subjects per instruction, AVX-512: 8). They are also used with one lane, so that a subject's
result never depends on how many lanes ran beside it.

Algorithms (written from their published descriptions, not copied):
  * exp: Cody-Waite reduction x = k ln2 + r with |r| <= ln2/2 (ln2 split into a high part with 32 trailing
    zero bits and a low part, so k ln2_hi is exact), Taylor series of exp(r) to degree 13 (truncation below
    5e-18 relative), scaling by 2^k in two factors so that results down to the smallest subnormal and up to
    overflow come out right. Cody & Waite, Software Manual for the Elementary Functions (1980).
  * log: x = 2^e m with m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f), log(1 + f) = f - f^2/2 +
    s (f^2/2 + R(s^2)) with the degree-7 minimax polynomial R of Sun's fdlibm e_log.c (its coefficients
    Lg1-Lg7 are published there; error below 2^-58.45), subnormals scaled by 2^54 first. Same reference.
  * pow(a, b) = exp(b log(a)) for a > 0, with pow(0, b) = 0 for b > 0; the model raises only positive ratios
    to positive powers (equations.py). Relative error about |b log a| ulp.

tests/unit/test_vmath.py measures the error against the C library (at most 1 ulp for exp and log on
millions of arguments) and the special values (0, subnormals, infinities, NaN).
"""

from __future__ import annotations

import math

import numba as nb
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

_LN2_HI = 6.93147180369123816490e-01  # high 21 bits of ln 2 (k * _LN2_HI is exact for |k| < 2^11)
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_INV_LN2 = 1.44269504088896338700e00
_SQRT2 = 1.4142135623730951
_TWO54 = 18014398509481984.0
_MIN_NORMAL = 2.2250738585072014e-308
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
# 1/n! for the Taylor series of exp(r), n = 2..13
_F2, _F3, _F4, _F5, _F6, _F7 = (1.0 / math.factorial(n) for n in range(2, 8))
_F8, _F9, _F10, _F11, _F12, _F13 = (1.0 / math.factorial(n) for n in range(8, 14))


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, x):
    """The float64 whose IEEE-754 bits are the int64 x."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@nb.njit(inline="always", error_model="numpy")
def vexp(x):
    """e**x, within 1 ulp of the C library; exp(-inf) = 0, exp(inf) = inf, exp(nan) = nan."""
    xc = 710.0 if x > 710.0 else x
    xc = -746.0 if xc < -746.0 else xc
    kf = math.floor(xc * _INV_LN2 + 0.5) * 1.0
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    # exp(r) = 1 + (r + r^2 P(r)), P by Estrin's scheme: fewer dependent steps than Horner's (shorter latency in
    # scalar code), with the large terms added last so that the rounding stays within 1 ulp
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    p0 = (_F2 + _F3 * r) + (_F4 + _F5 * r) * r2
    p1 = (_F6 + _F7 * r) + (_F8 + _F9 * r) * r2
    p2 = (_F10 + _F11 * r) + (_F12 + _F13 * r) * r2
    p = 1.0 + (r + r2 * ((p0 + p1 * r4) + p2 * r8))
    k = int(kf)
    k1 = k >> 1
    k2 = k - k1
    value = (p * _float((k1 + 1023) << 52)) * _float((k2 + 1023) << 52)
    return value if x == x else x


@nb.njit(inline="always", error_model="numpy")
def vlog(x):
    """Natural log, within 1 ulp of the C library; log(0) = -inf, log(x < 0) = nan, log(inf) = inf."""
    sub = x < _MIN_NORMAL
    xs = x * _TWO54 if sub else x
    bits = _bits(xs)
    e = (bits >> 52) - (1077 if sub else 1023)
    m = _float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    ef = (e + 1 if big else e) * 1.0
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    hfsq = 0.5 * f * f
    value = ef * _LN2_HI - ((hfsq - (s * (hfsq + t1 + t2) + ef * _LN2_LO)) - f)
    special = not (x > 0.0 and x < math.inf)
    if special:
        value = -math.inf if x == 0.0 else (math.inf if x == math.inf else math.nan)
    return value


@nb.njit(inline="always", error_model="numpy")
def vpow(a, b):
    """a**b for a >= 0 (pow(0, b) = 0 for b > 0, 1 for b = 0); nan for a < 0."""
    value = vexp(b * vlog(a))
    if a == 0.0:
        value = 0.0 if b > 0.0 else (1.0 if b == 0.0 else math.inf)
    return value
