#!/usr/bin/env python3
"""Pack the chapters for running anywhere: ``_build/html/softmax-and-argmax-notebooks.zip``.

    python tools/build_bundle.py          # after the HTML build (tasks.py book runs it)

The zip holds one folder, ``softmax-and-argmax-notebooks/``, with

* every chapter notebook of the table of contents, with its stored outputs;
* the companion package as a wheel (distribution name from pyproject.toml; import name ``companion``);
* ``requirements.txt``: that wheel and the packages the notebooks import, at the versions the book
  is built and tested with (taken from the project's requirements.txt), and ``constraints.txt``,
  the project's pins of everything else;
* ``pytest.ini`` and ``nbval_sanitize.cfg``, so that ``pytest --nbval`` there is the book's own
  strict test, and a short ``README.md``.

``python3 tasks.py test`` unzips it in a temporary folder outside the clone, installs it into a
fresh virtual environment and runs ``pytest --nbval`` there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "html" / "softmax-and-argmax-notebooks.zip"
FOLDER = "softmax-and-argmax-notebooks"
# What the notebooks import, besides the companion (and what opens and tests them).
NEEDED = ("numpy", "matplotlib", "sympy", "scipy", "mpmath", "scikit-learn", "myst-nb", "ipykernel",
          "jupyterlab", "pytest", "pytest-xdist", "nbval")


def chapters() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [ROOT / (f + ".ipynb") for f in files if (ROOT / (f + ".ipynb")).exists()]


def pins() -> list[str]:
    """The project's pins (requirements.txt) of the packages the notebooks need."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", line.strip())
        if m:
            found[m.group(1).lower()] = line.strip()
    missing = [n for n in NEEDED if n not in found]
    if missing:
        sys.exit(f"requirements.txt pins no version of {', '.join(missing)}: the bundle needs them")
    return [found[n] for n in NEEDED]


def repository_url() -> str:
    """The repository address a fork sets in _config.yml (``repository: url:``), or ''."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return str((config.get("repository") or {}).get("url") or "").strip()


def readme(wheel: str, notebooks: list[Path]) -> str:
    url = repository_url()
    where = (f"The book, its sources and the newest version of this bundle: <{url}>.\n" if url else
             "This bundle is a download from the book's web site (its page \"Run the chapters\").\n")
    first = notebooks[0].name if notebooks else "a notebook"
    return f"""# Softmax and Argmax: the chapters as notebooks

Every chapter of the open textbook *Softmax and Argmax*, as a Jupyter notebook with its outputs,
and the book's companion package `companion` ({wheel}). {where}
To run them, with Python 3.11 or newer, in this folder:

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt      # on Windows: .venv\\Scripts\\pip
.venv/bin/jupyter lab {first}
```

`.venv/bin/pytest --nbval` re-runs every notebook and compares each output with the stored one,
as the book's own tests do. Text and figures: CC BY 4.0; code: MIT licence.
"""


def build_wheel(into: Path, project: dict) -> Path:
    """The companion's wheel, built from a copy of its sources (so that nothing is written into the
    clone, where another environment may be installing the companion at the same time)."""
    source = into / "source"
    for package in project["tool"]["setuptools"]["packages"]:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", project["project"]["readme"], *project["project"]["license-files"]):
        shutil.copyfile(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(into), str(source)],
                   check=True)
    (wheel,) = into.glob("*.whl")
    return wheel


def build(out: Path = OUT) -> Path:
    notebooks = chapters()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    name = project["project"]["name"]
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp), project)
        requirements = "\n".join([
            "# The chapters' notebooks and what they need, at the versions the book is built and tested with.",
            "-c constraints.txt",
            f"# the book's companion package (distribution {name}, imported as `companion`)",
            f"./{wheel.name}",
            *pins(), "",
        ])
        ini = "[pytest]\naddopts = --nbval-sanitize-with nbval_sanitize.cfg -p no:cacheprovider\n"
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for nb in notebooks:
                z.write(nb, f"{FOLDER}/{nb.name}")
            z.write(wheel, f"{FOLDER}/{wheel.name}")
            z.write(ROOT / "constraints.txt", f"{FOLDER}/constraints.txt")
            z.write(ROOT / "tests" / "nbval_sanitize.cfg", f"{FOLDER}/nbval_sanitize.cfg")
            z.writestr(f"{FOLDER}/requirements.txt", requirements)
            z.writestr(f"{FOLDER}/pytest.ini", ini)
            z.writestr(f"{FOLDER}/README.md", readme(wheel.name, notebooks))
    print(f"[bundle] {out.relative_to(ROOT)}: {len(notebooks)} notebooks, {out.stat().st_size / 2**20:.1f} MB")
    return out


def unpack(zip_path: Path, into: Path) -> Path:
    """Unzip the bundle into `into`; returns its folder."""
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(into)
    return into / FOLDER


if __name__ == "__main__":
    build()
