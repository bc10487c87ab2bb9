#!/usr/bin/env python3
"""Build the book and run every test, each with its own set-up. Needs only Python 3.11+.

    python3 tasks.py book    # venv + install, then jupyter-book build -W -n (HTML in _build/html)
    python3 tasks.py test    # venv + install, build the book, then unit + doctests + nbval + browser tests

The virtual environment lives in .venv/ and is reinstalled only when requirements.txt,
constraints.txt or pyproject.toml change. Extra arguments after ``test`` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-requirements"
INSTALL_INPUTS = ("requirements.txt", "constraints.txt", "pyproject.toml")
HTML = ROOT / "_build" / "html"


def say(message: str) -> None:
    print(f"[tasks] {message}", flush=True)


def run(*args: str | Path, **env: str) -> None:
    """Run a command from the repository root; stop with its exit code if it fails."""
    cmd = [str(a) for a in args]
    say(" ".join(cmd))
    result = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env})
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_environment() -> None:
    """Create .venv and install requirements.txt into it, unless it is already up to date."""
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed (found %d.%d)" % sys.version_info[:2])
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in INSTALL_INPUTS)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        say(f"creating a virtual environment in {VENV.name}/")
        venv.create(VENV, with_pip=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-r", "requirements.txt")
    STAMP.write_text(digest)


def book() -> None:
    """Execute every notebook and build the HTML book, treating every warning as an error."""
    ensure_environment()
    run(BIN / "jupyter-book", "build", ".", "-W", "-n", "--keep-going")
    say(f"the book is in {HTML.relative_to(ROOT)}/ (open {HTML.relative_to(ROOT)}/index.html)")


def test(pytest_args: list[str]) -> None:
    """Build the book (the browser tests read it), then run every test in one pytest session."""
    book()
    run(
        BIN / "python", "-m", "pytest",
        "tests", "companion", "book",
        "--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
        "-n", "2", "--dist", "loadfile",
        *pytest_args,
    )


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"book", "test"}:
        sys.exit(__doc__)
    if argv[0] == "book":
        book()
    else:
        test(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
