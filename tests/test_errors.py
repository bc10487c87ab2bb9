"""Bad input fails early, with the exception NumPy users expect and a message that says what is accepted."""

import numpy as np
import pytest

import companion

REDUCTIONS = [companion.softmax, companion.log_softmax, companion.logsumexp, companion.hardmax]
NOT_REAL = [
    np.array([1 + 2j, 3j]),
    np.array(["a", "b"]),
    np.array([b"a"]),
    np.array([object(), 1], dtype=object),
    np.array(["2026-01-01"], dtype="datetime64[D]"),
    np.array([1], dtype="timedelta64[s]"),
    [1.0, "2"],
]


@pytest.mark.parametrize("f", [*REDUCTIONS, companion.sigmoid])
@pytest.mark.parametrize("bad", NOT_REAL, ids=lambda b: str(np.asarray(b).dtype))
def test_non_real_input_is_a_type_error_that_says_what_is_accepted(f, bad):
    message = r"must hold real numbers \(a float, integer or bool array\); got an array of dtype"
    with pytest.raises(TypeError, match=message):
        f(bad)


@pytest.mark.parametrize("f", REDUCTIONS)
@pytest.mark.parametrize("axis", [2, -3, (0, 2)])
def test_axis_out_of_range_is_numpys_axis_error(f, axis):
    with pytest.raises(np.exceptions.AxisError):
        f(np.zeros((2, 3)), axis=axis)


@pytest.mark.parametrize("f", REDUCTIONS)
@pytest.mark.parametrize("axis", [1.0, "0", [0], True])
def test_axis_of_the_wrong_type_is_a_type_error(f, axis):
    with pytest.raises(TypeError, match="axis must be an int, a tuple of ints or None"):
        f(np.zeros((2, 3)), axis=axis)


@pytest.mark.parametrize("f", REDUCTIONS)
def test_repeated_axis_is_a_value_error(f):
    with pytest.raises(ValueError, match="repeats an axis"):
        f(np.zeros((2, 3)), axis=(1, -1))


@pytest.mark.parametrize("f", [companion.softmax, companion.log_softmax])
@pytest.mark.parametrize("t", [0.0, -1.0, np.inf, -np.inf, np.nan])
def test_temperature_must_be_positive_and_finite(f, t):
    with pytest.raises(ValueError, match="temperature must be positive and finite"):
        f([1.0, 2.0], temperature=t)


@pytest.mark.parametrize("t", ["1", None, True, 1 + 0j, [1.0]])
def test_temperature_must_be_a_real_number(t):
    with pytest.raises(TypeError, match="temperature must be a real number"):
        companion.softmax([1.0, 2.0], temperature=t)


def test_boltzmann_checks_temperature_k_and_their_product():
    with pytest.raises(ValueError, match="temperature must be positive"):
        companion.boltzmann([0.0, 1.0], temperature=0.0)
    with pytest.raises(ValueError, match="k must be positive"):
        companion.boltzmann([0.0, 1.0], temperature=1.0, k=-1.0)
    with pytest.raises(ValueError, match=r"k \* temperature must be positive and finite"):
        companion.boltzmann([0.0, 1.0], temperature=1e200, k=1e200)
    with pytest.raises(TypeError, match="energies must hold real numbers"):
        companion.boltzmann(["a"], temperature=1.0)


def test_cross_entropy_labels_are_checked():
    logits = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"integer labels must have shape \(4,\)"):
        companion.cross_entropy(logits, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\] for 3 classes"):
        companion.cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\]"):
        companion.cross_entropy_grad(logits, np.array([0, -1, 2, 1]))
    with pytest.raises(ValueError, match="one-hot / probability array with the shape of logits"):
        companion.cross_entropy(logits, np.zeros((4, 2)))
    with pytest.raises(TypeError, match="labels must hold real numbers"):
        companion.cross_entropy(logits, np.array(["a", "b", "c", "d"]))
    with pytest.raises(TypeError, match="logits must hold real numbers"):
        companion.cross_entropy(np.array(["a"]), 0)
    with pytest.raises(np.exceptions.AxisError):
        companion.cross_entropy(logits, np.zeros(3, dtype=int), axis=2)


def test_gradient_helpers_check_their_input():
    with pytest.raises(ValueError, match="does not broadcast"):
        companion.softmax_vjp(np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="must not stretch the class axis"):
        companion.softmax_vjp(np.zeros((2, 1)), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="g must hold real numbers"):
        companion.softmax_vjp(np.zeros(3), np.array(["a", "b", "c"]))
    with pytest.raises(TypeError, match="axis must be an int here"):
        companion.softmax_jacobian(np.zeros(3), axis=None)
    with pytest.raises(np.exceptions.AxisError):
        companion.softmax_jacobian(np.zeros(3), axis=1)
    with pytest.raises(TypeError, match="f must be a function"):
        companion.numerical_gradient(3.0, np.zeros(2))
    with pytest.raises(ValueError, match="eps must be positive and finite"):
        companion.numerical_gradient(np.sum, np.zeros(2), eps=0.0)


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0), np.random])
def test_random_functions_need_a_generator(rng):
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator, e.g. numpy.random.default_rng\(0\)"):
        companion.gumbel_max_sample(np.zeros(3), rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        companion.gumbel_softmax(np.zeros(3), 1.0, rng)


def test_sampling_checks_its_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="must have a class axis"):
        companion.gumbel_max_sample(np.array(1.0), rng)
    with pytest.raises(ValueError, match="must have a class axis"):
        companion.gumbel_max_sample(np.zeros((2, 0)), rng)
    with pytest.raises(ValueError, match="hold a NaN"):
        companion.gumbel_max_sample(np.array([0.0, np.nan]), rng)
    with pytest.raises(ValueError, match="all -inf"):
        companion.gumbel_max_sample(np.array([[0.0, 1.0], [-np.inf, -np.inf]]), rng)
    with pytest.raises(ValueError, match="size must be None, a non-negative int"):
        companion.gumbel_max_sample(np.zeros(3), rng, size=-1)
    with pytest.raises(ValueError, match="size must be None"):
        companion.gumbel_max_sample(np.zeros(3), rng, size=(2.5,))
    with pytest.raises(ValueError, match="temperature must be positive"):
        companion.gumbel_softmax(np.zeros(3), 0.0, rng)
    with pytest.raises(np.exceptions.AxisError):
        companion.gumbel_softmax(np.zeros(3), 1.0, rng, axis=1)
