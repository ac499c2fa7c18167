"""servicekit's beta distribution (``_beta``, behind the Jeffreys and Clopper–Pearson
intervals and Student's t; issue 13) held to ``scipy.stats.beta`` within 1e-9.

The functions are vectorised (a frame's groups are solved together), so each Hypothesis
example checks a whole array of parameters at once.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.metrics._beta import beta_cdf, beta_ppf

#: shape parameters as the intervals use them: k + ½, n − k + ½, k, n − k + 1 up to ~10^6
shapes = st.one_of(st.floats(0.5, 10.0), st.integers(1, 1000).map(float),
                   st.integers(0, 6).flatmap(lambda e: st.floats(0.5, 10.0**e)),
                   st.integers(0, 10**6).map(lambda k: k + 0.5))


@settings(max_examples=25, deadline=None)
@given(params=st.lists(st.tuples(st.floats(1e-4, 1 - 1e-4), shapes, shapes), min_size=1,
                       max_size=20))
def test_beta_ppf_equals_scipy(params: list[tuple[float, float, float]]) -> None:
    p, a, b = (np.array(column) for column in zip(*params, strict=True))
    np.testing.assert_allclose(beta_ppf(p, a, b), scipy.stats.beta.ppf(p, a, b), rtol=0,
                               atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(params=st.lists(st.tuples(st.floats(0.0, 1.0), shapes, shapes), min_size=1,
                       max_size=20))
def test_beta_cdf_equals_scipy(params: list[tuple[float, float, float]]) -> None:
    x, a, b = (np.array(column) for column in zip(*params, strict=True))
    np.testing.assert_allclose(beta_cdf(x, a, b), scipy.stats.beta.cdf(x, a, b), rtol=0,
                               atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(params=st.lists(st.tuples(st.floats(1e-4, 1 - 1e-4), shapes, shapes), min_size=1,
                       max_size=20))
def test_the_quantile_inverts_the_distribution(params: list[tuple[float, float, float]]) -> None:
    p, a, b = (np.array(column) for column in zip(*params, strict=True))
    x = beta_ppf(p, a, b)
    assert np.all((x >= 0) & (x <= 1))
    # near 0 or 1 the distribution can climb more than 1e-9 within one float step of x: the
    # inverse is then held to a few steps, the best a double can hold it to
    steps = 4 * np.spacing(x) * scipy.stats.beta.pdf(x, a, b)
    assert np.all(np.abs(beta_cdf(x, a, b) - p) <= 1e-9 + steps)


@settings(max_examples=50, deadline=None)
@given(params=st.lists(st.tuples(st.floats(0.0, 1.0), shapes, shapes), min_size=1,
                       max_size=20))
def test_the_distribution_is_symmetric_in_its_shapes(
        params: list[tuple[float, float, float]]) -> None:
    """I_x(a, b) = 1 − I_{1−x}(b, a)."""
    x, a, b = (np.array(column) for column in zip(*params, strict=True))
    np.testing.assert_allclose(beta_cdf(x, a, b), 1 - beta_cdf(1 - x, b, a), rtol=0,
                               atol=1e-9)


def test_closed_forms() -> None:
    """Beta(1, 1) is uniform; Beta(a, 1) has the distribution x^a; Beta(1, b) 1 − (1 − x)^b."""
    p = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(beta_ppf(p, 1.0, 1.0), p, atol=1e-12)
    np.testing.assert_allclose(beta_cdf(p, 3.5, 1.0), p**3.5, atol=1e-12)
    np.testing.assert_allclose(beta_ppf(p, 3.5, 1.0), p ** (1 / 3.5), atol=1e-12)
    np.testing.assert_allclose(beta_cdf(p, 1.0, 20.0), 1 - (1 - p) ** 20, atol=1e-12)


def test_the_distribution_is_0_below_0_and_1_above_1() -> None:
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(beta_cdf(x, 2.0, 3.0), [0.0, 0.0, 1.0, 1.0])


def test_shapes_broadcast_and_are_kept() -> None:
    p = np.array([[0.025], [0.975]])
    a = np.array([1.0, 10.0, 1000.0])
    out = beta_ppf(p, a, 5.0)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, scipy.stats.beta.ppf(p, a, 5.0), atol=1e-9)
    assert beta_cdf(0.5, 2.0, 2.0) == pytest.approx(0.5, abs=1e-15)
