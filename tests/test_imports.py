"""`import companion` must stay light (NumPy only), and its public API is documented in one place."""

import inspect
import subprocess
import sys

import companion

PUBLIC = [
    "softmax", "log_softmax", "logsumexp", "hardmax", "sigmoid", "boltzmann",
    "softmax_jacobian", "softmax_vjp", "cross_entropy", "cross_entropy_grad", "numerical_gradient",
    "gumbel_max_sample", "gumbel_softmax", "top_k_filter", "top_p_filter", "sparsemax",
]


def test_import_pulls_in_numpy_only():
    code = (
        "import sys, companion; "
        "heavy = [m for m in ('sympy', 'matplotlib', 'scipy', 'mpmath') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_submodules_load_on_first_use():
    code = (
        "import sys, companion; assert 'sympy' not in sys.modules; "
        "companion.symbolic.scores(2); assert 'sympy' in sys.modules; "
        "companion.plotting.use_book_style(); assert 'matplotlib' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_are_exported_in_one_place():
    assert companion.__all__ == PUBLIC
    for name in companion.__all__:
        assert callable(getattr(companion, name)), name


def test_every_public_function_has_a_numpydoc_docstring_with_an_example():
    for name in companion.__all__:
        doc = inspect.getdoc(getattr(companion, name))
        for section in ("Parameters\n----------", "Returns\n-------", "Examples\n--------", ">>> "):
            assert section in doc, f"{name}: no {section.splitlines()[0]!r}"


def test_unknown_attribute_is_an_attribute_error():
    try:
        companion.no_such_thing  # noqa: B018
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
