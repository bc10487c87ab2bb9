"""Derivatives: the Jacobian and its products against central differences and against each other."""

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import companion

scores = arrays(np.float64, st.integers(1, 7), elements=st.floats(-20, 20))


@given(scores)
def test_jacobian_matches_central_differences(x):
    numeric = companion.numerical_gradient(companion.softmax, x)
    np.testing.assert_allclose(companion.softmax_jacobian(x), numeric, atol=1e-9)


@given(scores)
def test_jacobian_is_symmetric_with_zero_row_sums(x):
    jac = companion.softmax_jacobian(x)
    np.testing.assert_array_equal(jac, jac.T)
    np.testing.assert_allclose(jac.sum(axis=-1), 0, atol=4e-16)


@given(scores, st.data())
def test_vjp_equals_g_times_the_jacobian(x, data):
    g = data.draw(arrays(np.float64, x.shape, elements=st.floats(-3, 3)))
    np.testing.assert_allclose(companion.softmax_vjp(x, g), g @ companion.softmax_jacobian(x), atol=1e-15)


@given(scores, st.integers(0, 6))
def test_cross_entropy_grad_matches_central_differences(x, label):
    label = label % x.size
    numeric = companion.numerical_gradient(lambda v: companion.cross_entropy(v, label), x)
    grad = companion.cross_entropy_grad(x, label)
    np.testing.assert_allclose(grad, numeric, atol=1e-9)
    assert abs(grad.sum()) <= 4e-16


def test_cross_entropy_grad_is_softmax_minus_one_hot():
    x = np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])
    y = np.array([0, 2])
    expected = companion.softmax(x) - np.eye(3)[y]
    np.testing.assert_allclose(companion.cross_entropy_grad(x, y), expected, atol=1e-16)
    np.testing.assert_allclose(companion.cross_entropy_grad(x, np.eye(3)[y]), expected, atol=1e-16)
    p = np.array([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]])
    np.testing.assert_allclose(companion.cross_entropy_grad(x, p), companion.softmax(x) - p, atol=1e-16)
    np.testing.assert_allclose(companion.cross_entropy_grad(x, 2 * p), 2 * (companion.softmax(x) - p), atol=1e-15)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_class_axis_may_be_any_axis(axis):
    x = np.random.default_rng(0).standard_normal((3, 4))
    xt = np.moveaxis(x, axis, -1)
    labels = np.zeros(xt.shape[:-1], dtype=int)
    loss = companion.cross_entropy(x, labels, axis=axis)
    np.testing.assert_allclose(loss, companion.cross_entropy(xt, labels), rtol=1e-15)
    grad = companion.cross_entropy_grad(x, labels, axis=axis)
    np.testing.assert_allclose(np.moveaxis(grad, axis, -1), companion.cross_entropy_grad(xt, labels), atol=1e-16)
    jac = companion.softmax_jacobian(x, axis=axis)
    np.testing.assert_allclose(jac, companion.softmax_jacobian(xt), atol=1e-16)
    g = np.arange(x.size, dtype=float).reshape(x.shape)
    vjp = companion.softmax_vjp(x, g, axis=axis)
    expected = companion.softmax_vjp(xt, np.moveaxis(g, axis, -1))
    np.testing.assert_allclose(np.moveaxis(vjp, axis, -1), expected, atol=1e-15)


def test_shapes():
    x = np.zeros((2, 3, 4))
    assert companion.softmax_jacobian(x).shape == (2, 3, 4, 4)
    assert companion.softmax_jacobian(x, axis=1).shape == (2, 4, 3, 3)
    assert companion.softmax_vjp(x, np.ones(4)).shape == (2, 3, 4)
    assert companion.softmax_vjp(np.zeros(4), np.ones((5, 4))).shape == (5, 4)
    assert companion.cross_entropy(x, np.zeros((2, 3), dtype=int)).shape == (2, 3)
    assert isinstance(companion.cross_entropy(np.zeros(3), 1), np.floating)
    assert companion.numerical_gradient(companion.softmax, np.zeros(3)).shape == (3, 3)
    assert companion.numerical_gradient(lambda v: v.sum(), np.zeros((2, 2))).shape == (2, 2)


def test_confident_predictions_keep_their_tiny_derivatives():
    """Where s_k rounds to 1, 1 - s_k is formed from the other probabilities, not by subtraction."""
    x = np.array([0.0, -40.0, -41.0])
    with mpmath.workprec(200):
        e = [mpmath.exp(mpmath.mpf(v)) for v in x]
        s = [v / mpmath.fsum(e) for v in e]
        rest = s[1] + s[2]
    rtol = 4 * np.finfo(float).eps
    np.testing.assert_allclose(companion.softmax_jacobian(x)[0, 0], float(s[0] * rest), rtol=rtol)
    np.testing.assert_allclose(companion.cross_entropy_grad(x, 0)[0], -float(rest), rtol=rtol)
    np.testing.assert_allclose(companion.cross_entropy(x, 0), float(mpmath.log1p(rest / s[0])), rtol=rtol)
    g = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(companion.softmax_vjp(x, g)[0], float(s[0] * rest), rtol=rtol)


def test_cross_entropy_of_confident_wrong_prediction_is_finite():
    assert companion.cross_entropy(np.array([0.0, -800.0]), 1) == 800.0
    p = np.array([0.5, 0.5, 0.0])
    assert companion.cross_entropy(np.array([0.0, 0.0, -np.inf]), p) == pytest.approx(np.log(2))


def test_dtypes():
    x32 = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    assert companion.softmax_jacobian(x32).dtype == np.float32
    assert companion.softmax_vjp(x32, np.ones(3)).dtype == np.float32
    assert companion.cross_entropy(x32, 1).dtype == np.float32
    assert companion.cross_entropy_grad(x32, 1).dtype == np.float32
    assert companion.cross_entropy_grad([1, 2, 3], 1).dtype == np.float64
    assert companion.numerical_gradient(np.sum, x32).dtype == np.float64


def test_numerical_gradient_step_and_accuracy():
    f = np.sin
    x = np.array([0.3, 30.0, -2.0])
    np.testing.assert_allclose(np.diag(companion.numerical_gradient(f, x)), np.cos(x), atol=1e-9, rtol=1e-7)
    cube = companion.numerical_gradient(lambda v: v[0] ** 3, np.array([2.0]), eps=1e-3)
    np.testing.assert_allclose(cube, [12.0], rtol=1e-6)
