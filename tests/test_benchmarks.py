"""The scripts under benchmarks/ run (quick mode); their numbers are not checked here."""

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # SciPy warns on some battery slices
def test_accuracy_table_runs(capsys):
    _load("accuracy_table").main(["--quick"])
    out = capsys.readouterr().out
    assert "float64: max error in ulps" in out and "one dominant entry" in out


def test_speed_benchmark_runs(capsys):
    _load("bench_softmax").main(["--quick", "--case", "(65536, 10)", "--dtype", "float32"])
    out = capsys.readouterr().out
    assert out.count("(65536, 10) axis -1") == 3 and "median ratio" in out  # softmax, log_softmax, logsumexp
