"""`import companion` must stay light: NumPy only, no SymPy, matplotlib or SciPy."""

import subprocess
import sys


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


def test_public_names_are_exported():
    import companion

    for name in companion.__all__:
        assert callable(getattr(companion, name)), name
        assert getattr(companion, name).__doc__, f"{name} has no docstring"
