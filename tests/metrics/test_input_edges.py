"""The edges of the scalar metrics' input (issue 13): numpy scalars, unhashable scales, large
degrees of freedom, tiny margins, bootstrap seeds. Each was a bug found by the scalar suite's
review; the tests keep them fixed."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.errors import InvalidInputError
from servicekit.metrics import csat, fcr, nps, scale_of
from servicekit.metrics._mean import t_quantile


@pytest.mark.parametrize("nan", [np.float32("nan"), np.float16("nan"), np.longdouble("nan")])
def test_numpy_nan_that_is_not_a_float64_is_missing_not_a_score(nan: object) -> None:
    """M-01: a NaN of any float type (numpy's float32 too) is a missing answer, not a score."""
    r = csat([nan, 5])
    assert (r.n, r.missing, r.mean) == (1, 1, 5.0)
    assert nps([nan, 10]).n == 1


def test_m02_fcr_accepts_a_numpy_boolean_array() -> None:
    """M-02: numpy booleans are answers (np.bool_ is neither bool nor numbers.Real)."""
    r = fcr(np.array([True, False, True]))
    assert (r.successes, r.n) == (2, 3)


def test_binary_csat_accepts_numpy_booleans() -> None:
    r = csat(np.array([True, False]), scale="binary")
    assert (r.successes, r.n) == (1, 2)


@pytest.mark.parametrize("spec", [[5], {"scale": 5}, {5}])
def test_unhashable_scale_is_refused_as_invalid_input(spec: object) -> None:
    """An unhashable scale is an InvalidInputError, not a TypeError from a lookup."""
    with pytest.raises(InvalidInputError, match="unknown scale"):
        scale_of(spec)


@settings(max_examples=300, deadline=None)
@given(p=st.floats(0.49, 0.51), df=st.integers(100_000, 1_000_000))
def test_t_quantile_near_the_median_at_large_df(p: float, df: int) -> None:
    """Near the median at large df, 1 - x is computed from its own quantile (its digits are
    not lost to x close to 1; the error was ~1e-6 at p = 0.5001, df = 882,905)."""
    assert t_quantile(p, df) == pytest.approx(float(scipy.stats.t.ppf(p, df)), abs=1e-8)


@pytest.mark.parametrize("margin", [1e-200, 5e-324])
def test_a_tiny_margin_is_refused_not_an_overflow(margin: float) -> None:
    """A margin no survey can reach is refused, not an OverflowError."""
    from servicekit.metrics import sample_size

    with pytest.raises(InvalidInputError):
        sample_size(margin)


def test_t_quantile_at_large_df_in_the_interval_range() -> None:
    """The quantile a 95.5 % interval uses at 742,693 degrees of freedom agrees with SciPy's
    (log B(a, b) is computed without the cancellation of lgamma at large a)."""
    p, df = 0.9552295305334253, 742693
    assert t_quantile(p, df) == pytest.approx(float(scipy.stats.t.ppf(p, df)), abs=1e-8)


@pytest.mark.parametrize("seed", ["x", -1, 1.5, True])
def test_a_bad_bootstrap_seed_is_invalid_input(seed: object) -> None:
    """The bootstrap's seed is a whole number ≥ 0 (True is not taken as 1)."""
    with pytest.raises(InvalidInputError, match="seed"):
        nps([10, 0, 8], method="bootstrap", seed=seed)  # type: ignore[arg-type]
