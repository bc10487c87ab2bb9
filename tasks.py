#!/usr/bin/env python3
"""Build the book and run every test, each with its own set-up. Needs only Python 3.11+.

    python3 tasks.py book    # venv + install, then jupyter-book build -W -n (HTML in _build/html), the
                             # notebook bundle and, where Debian's Chromium is installed, the PDF
    python3 tasks.py pdf     # the whole book as one PDF: _build/pdf/softmax-and-argmax.pdf
    python3 tasks.py test    # the book and its PDF, and every test; fails at the first failure:
                             #   unit tests + doctests + browser, site and PDF tests + nbval (this
                             #   machine's CPU configuration); beside them, at a lower priority: the
                             #   notebook bundle in a fresh venv outside the clone (nbval, baseline
                             #   x86-64-v2 configuration), Python 3.13 (unit tests; nbval, AVX2
                             #   configuration), the oldest supported NumPy (unit tests)
    python3 tasks.py nbval [NOTEBOOK ...]   # strict nbval under every CPU configuration (no book build)

Each environment lives in its own folder and is reinstalled only when what it installs changes:
.venv/ (the book and every test), .venv-cff/ (cffconvert, which pins an old jsonschema),
.venv-py3.13/ and .venv-numpy-floor/. Extra arguments after ``test`` go to the main pytest
run, and then only that run is made (a quick way to run a few tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import venv
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BIN = "Scripts" if os.name == "nt" else "bin"
VENV = ROOT / ".venv"
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "pdf" / "softmax-and-argmax.pdf"
BUNDLE = HTML / "softmax-and-argmax-notebooks.zip"
NBVAL = ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider"]
PARALLEL = ["-n", "2", "--dist", "loadfile"]  # nbval needs a notebook's cells on one worker
# The tests that read the built book: the main run has them, the other environments leave them out.
# The site's and the PDF's read the printed PDF (the site links it); the browser's only the HTML.
PDF_TESTS = ["tests/test_site.py", "tests/test_pdf.py"]
BOOK_TESTS = [*PDF_TESTS, "tests/test_browser.py"]
FLOOR_REQUIREMENTS = ROOT / "tests" / "requirements-numpy-floor.txt"

# NumPy picks SIMD code for exp, log and its reductions when it is imported, and OpenBLAS picks a
# kernel for `@`; both change the last bits of results. nbval re-runs every notebook under each of
# these, so no stored output may depend on those bits. "This machine" clears both variables (None:
# unset), since a shell may export them (this image sets OPENBLAS_CORETYPE=Haswell). Each other
# row names the CPU flag it needs: NumPy ignores a feature the CPU lacks, but OpenBLAS would run a
# forced kernel the CPU cannot execute, so a row whose flag is missing is left out. In `test` each
# configuration rides on a full nbval pass that is made anyway: this machine's on the main run
# (Python 3.11), AVX2 on the Python 3.13 run, the baseline on the notebook bundle's run.
NATIVE: dict[str, str | None] = {"NPY_DISABLE_CPU_FEATURES": None, "OPENBLAS_CORETYPE": None}
CPU_CONFIGS = [
    ("this machine", "", NATIVE),
    ("AVX2 (x86-64-v3)", "avx2", {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
                                  "OPENBLAS_CORETYPE": "Haswell"}),
    ("baseline (x86-64-v2)", "sse3", {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
                                      "OPENBLAS_CORETYPE": "Prescott"}),
]

# What a configuration really turned on, read inside the environment it sets.
SHOW_CPU = """
import ctypes, numpy
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
simd = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)] or ["baseline only"]
core = "?"
for line in open("/proc/self/maps"):
    if "openblas" in line:
        get = ctypes.CDLL(line.split()[-1]).scipy_openblas_get_corename64_
        get.restype = ctypes.c_char_p
        core = get().decode()
        break
print("NumPy SIMD targets:", " ".join(simd), "| OpenBLAS kernel:", core)
"""


START = time.monotonic()
# `test` runs independent steps side by side (see there). A step in the background writes into a log
# file of its own (THREAD.log), printed whole when the step ends, so that no two steps mix their lines.
LOGS = ROOT / "_build" / "test-logs"
THREAD = threading.local()
RUNNING: set[subprocess.Popen] = set()  # commands under way, stopped at once when a step fails
# `pip install -e .` writes the companion's build metadata into the clone (*.egg-info/): one
# environment at a time.
BUILDING_COMPANION = threading.RLock()
# The environments are installed without compiling every module ahead of time (pip --no-compile:
# that would double the time of an install); Python compiles a module when it is first imported and
# keeps the bytecode, unless PYTHONDONTWRITEBYTECODE is set (some shells set it), which is unset here.
BYTECODE: dict[str, str | None] = {"PYTHONDONTWRITEBYTECODE": None}


def say(message: str) -> None:
    """Print a progress line, with the minutes and seconds since the command started."""
    minutes, seconds = divmod(int(time.monotonic() - START), 60)
    print(f"[tasks {minutes:2d}:{seconds:02d}] {message}", file=getattr(THREAD, "log", sys.stdout), flush=True)


def run(*args: str | Path, env: dict[str, str | None] | None = None, cwd: Path = ROOT) -> None:
    """Run a command (from the repository root unless `cwd` says otherwise), with the variables in
    `env` set (or unset, where None); stop with its exit code if it fails."""
    cmd = [str(a) for a in args]
    shown = [a if "\n" not in a else "'<script>'" for a in cmd]
    changes = [f"{k}={v!r}" if v is not None else f"-u {k}" for k, v in (env or {}).items()]
    say(" ".join([*changes, *shown]) + ("" if cwd == ROOT else f"  (in {cwd})"))
    merged = {**os.environ, **{k: v for k, v in (env or {}).items() if v is not None}}
    for k, v in {**BYTECODE, **(env or {})}.items():
        if v is None:
            merged.pop(k, None)
    log = getattr(THREAD, "log", None)
    if log is None:  # in the foreground: on the terminal, and in its process group (Ctrl-C reaches it)
        process = subprocess.Popen(cmd, cwd=cwd, env=merged)
    else:  # in the background: into the log, in a process group of its own (to be stopped), and at a
        # lower priority, so that it takes what CPU the foreground steps leave. (The same session: Linux
        # shares the CPU fairly between sessions whatever their priorities.)
        nice = ["nice", "-n", "15"] if THREAD.low_priority and shutil.which("nice") else []
        group = {"process_group": 0} if os.name == "posix" else {}
        process = subprocess.Popen([*nice, *cmd], cwd=cwd, env=merged, stdout=log, stderr=subprocess.STDOUT,
                                   **group)
    RUNNING.add(process)
    try:
        code = process.wait()
    finally:
        RUNNING.discard(process)
    if code != 0:
        sys.exit(code)


def leaving_out(tests: list[str]) -> list[str]:
    """pytest's arguments that leave out these test files."""
    return [arg for path in tests for arg in ("--ignore", path)]


def in_background(pool: ThreadPoolExecutor, name: str, step, low_priority: bool = True) -> tuple[str, Path, Future]:
    """Start `step` (a function) beside the rest, its output in a log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name.replace(' ', '-')}.log"

    def job() -> float:
        THREAD.low_priority = low_priority
        with open(log_path, "w", encoding="utf-8") as THREAD.log:
            started = time.monotonic()
            try:
                step()
                return time.monotonic() - started
            except BaseException as error:
                if not isinstance(error, SystemExit):
                    THREAD.log.write("".join(traceback.format_exception(error)))
                raise
            finally:
                del THREAD.log

    say(f"{name}: started beside the other steps (its output: {log_path.relative_to(ROOT)})")
    return name, log_path, pool.submit(job)


def finish(*jobs: tuple[str, Path, Future]) -> None:
    """Wait for `jobs`, print each one's output as it ends, and at the first failure stop every
    command still running and exit with its code."""
    pending = {future: (name, log_path) for name, log_path, future in jobs}
    while pending:
        done, _ = wait(pending, return_when="FIRST_COMPLETED")
        for future in done:
            name, log_path = pending.pop(future)
            error = future.exception()
            print(f"\n----- {name} -----\n{log_path.read_text(encoding='utf-8')}----- end of {name} -----", flush=True)
            if error is not None:
                say(f"{name}: FAILED")
                stop_everything()
                sys.exit(error.code if isinstance(error, SystemExit) and isinstance(error.code, int) else 1)
            minutes, seconds = divmod(int(future.result()), 60)
            say(f"{name}: passed (it took {minutes}:{seconds:02d})")


def stop_everything() -> None:
    """Stop every command still running, with the processes it started (pytest's workers, say)."""
    for process in list(RUNNING):
        try:
            if os.name == "posix" and os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
        except (ProcessLookupError, PermissionError):
            pass  # it has just ended


def ensure_venv(folder: Path, python: str, *pip_args: str, inputs: tuple[Path, ...], editable: bool = True) -> Path:
    """Make the virtual environment `folder` with `python` and pip-install `pip_args` into it,
    unless the files in `inputs` are unchanged since the last install. Returns its python."""
    exe = folder / BIN / "python"
    stamp = folder / ".installed"
    digest = hashlib.sha256(b"".join([python.encode(), *(p.read_bytes() for p in inputs)])).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and exe.exists():
        return exe
    if exe.exists() and stamp.exists():
        say(f"{folder.name}/ is out of date: reinstalling")
    if not exe.exists():
        say(f"creating a virtual environment in {folder.name}/")
        if python == sys.executable:
            venv.create(folder, with_pip=True, clear=True)
        else:
            run(python, "-m", "venv", "--clear", folder)
    run(exe, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    with BUILDING_COMPANION if editable else contextlib.nullcontext():  # --no-compile: see BYTECODE
        run(exe, "-m", "pip", "install", "--quiet", "--no-compile", *pip_args)
    stamp.write_text(digest)
    return exe


def ensure_environment() -> Path:
    """.venv/: requirements.txt (the book, the companion, every test tool) for this Python."""
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed (found %d.%d)" % sys.version_info[:2])
    inputs = tuple(ROOT / n for n in ("requirements.txt", "constraints.txt", "pyproject.toml"))
    return ensure_venv(VENV, sys.executable, "-r", "requirements.txt", inputs=inputs)


def ensure_citation_tool() -> None:
    """.venv-cff/: cffconvert, which tests/test_site.py uses to validate CITATION.cff."""
    ensure_venv(ROOT / ".venv-cff", sys.executable, "cffconvert==2.0.0", inputs=(ROOT / "tasks.py",), editable=False)


def book() -> None:
    """Build the HTML book from the notebooks' stored outputs (which `test` checks by re-running every
    notebook under strict nbval), treating every warning as an error; then the notebook bundle, and
    the PDF where Chromium is installed (the site links both)."""
    build_site()
    pdf_where_possible()
    say(f"the book is in {HTML.relative_to(ROOT)}/ (open {HTML.relative_to(ROOT)}/index.html)")


def build_site() -> None:
    """The HTML book (-W -n: every warning is an error) and the notebook bundle it links."""
    exe = ensure_environment()
    run(exe.parent / "jupyter-book", "build", ".", "-W", "-n", "--keep-going")
    run(exe, "tools/build_bundle.py")


def pdf_where_possible() -> None:
    if have_chromium():
        pdf()
    else:
        say("NOTICE: no Chromium on this machine (sudo apt-get install chromium): no PDF, and the "
            "site's link to it will not work until `python3 tasks.py pdf` runs on a machine with it")


def have_chromium() -> bool:
    chosen = os.environ.get("CHROMIUM", "").strip()
    return any(shutil.which(c) for c in ([chosen] if chosen else ["chromium", "chromium-browser"]))


def pdf() -> None:
    """The whole book as one PDF: a single-page build, printed by headless Chromium (tools/build_pdf.py).
    A copy goes into the HTML site when it has been built, for its download link."""
    exe = ensure_environment()
    run(exe.parent / "jupyter-book", "build", ".", "--builder", "singlehtml", "-W", "-n", "--keep-going")
    run(exe, "tools/build_pdf.py")
    if HTML.is_dir():
        shutil.copyfile(PDF, HTML / PDF.name)
    say(f"the PDF is {PDF.relative_to(ROOT)}")


def config(name: str) -> tuple[str, dict[str, str | None]]:
    """The CPU configuration of that name if this machine can run it, else this machine's own."""
    chosen = dict(cpu_configs())
    if name not in chosen:
        say(f"NOTICE: the configuration {name!r} cannot run here: this machine's own is used instead")
        return CPU_CONFIGS[0][0], NATIVE
    return name, chosen[name]


def cpu_configs() -> list[tuple[str, dict[str, str | None]]]:
    """The configurations this machine can run: the x86-64 ones only on x86-64 Linux, each only
    where the CPU has the feature its OpenBLAS kernel needs."""
    if not (platform.machine().lower() in {"x86_64", "amd64"} and sys.platform.startswith("linux")):
        say("not an x86-64 Linux machine: nbval runs in this machine's own configuration only")
        return [(CPU_CONFIGS[0][0], CPU_CONFIGS[0][2])]
    text = Path("/proc/cpuinfo").read_text()
    flags = set(re.search(r"^flags\s*:(.*)$", text, re.M).group(1).split())
    flags |= {"sse3"} if "pni" in flags else set()  # Linux lists SSE3 as "pni"
    chosen = [(name, env) for name, needs, env in CPU_CONFIGS if not needs or needs in flags]
    for name, needs, _ in CPU_CONFIGS:
        if needs and needs not in flags:
            say(f"NOTICE: this CPU lacks {needs}: nbval is not run in the configuration {name!r}")
    return chosen


def nbval(exe: Path, notebooks: list[str]) -> None:
    """Strict nbval over `notebooks` under every CPU configuration this machine can run."""
    for name, env in cpu_configs():
        say(f"nbval, CPU configuration: {name}")
        run(exe, "-c", SHOW_CPU, env=env)
        run(exe, "-m", "pytest", *notebooks, *NBVAL, *PARALLEL, "-q", env=env)


def find_python(version: str) -> str | None:
    """A Python `version` interpreter on this machine (PATH, or pyenv's versions), or None."""
    candidates = [shutil.which(f"python{version}")]
    if shutil.which("pyenv"):
        listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
        for v in sorted((v for v in listed if re.fullmatch(re.escape(version) + r"\.\d+", v)), reverse=True):
            prefix = subprocess.run(["pyenv", "prefix", v], capture_output=True, text=True).stdout.strip()
            candidates.append(str(Path(prefix) / "bin" / f"python{version}"))
    for exe in filter(None, candidates):
        probe = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return exe
    return None


def test_newest_python() -> None:
    """Python 3.13: requirements.txt installs, the companion's tests pass, and strict nbval passes
    under the AVX2 configuration (where there is no Python 3.13, that nbval runs under 3.11)."""
    name, env = config("AVX2 (x86-64-v3)")
    python = find_python("3.13")
    if python is None:
        say("NOTICE: no Python 3.13 on this machine: the Python 3.13 step is skipped")
        say(f"nbval, CPU configuration: {name} (Python 3.11)")
        with BUILDING_COMPANION:  # in `test`, .venv/ may still be installing
            exe = ensure_environment()
        run(exe, "-m", "pytest", "book", *NBVAL, *PARALLEL, "-q", env=env)
        return
    inputs = tuple(ROOT / n for n in ("requirements.txt", "constraints.txt", "pyproject.toml"))
    exe = ensure_venv(ROOT / ".venv-py3.13", python, "-r", "requirements.txt", inputs=inputs)
    run(exe, "-m", "pytest", "tests", "companion", *leaving_out(BOOK_TESTS), *PARALLEL, "-q", "-p", "no:cacheprovider", env=NATIVE)
    say(f"nbval, CPU configuration: {name} (Python 3.13)")
    run(exe, "-c", SHOW_CPU, env=env)
    run(exe, "-m", "pytest", "book", *NBVAL, *PARALLEL, "-q", env=env)


def numpy_floor() -> str:
    """The lowest NumPy that pyproject.toml declares, which tests/requirements-numpy-floor.txt pins."""
    declared = re.search(r'"numpy>=([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    pinned = re.search(r"^numpy==([\d.]+)$", FLOOR_REQUIREMENTS.read_text(), re.M).group(1)
    if pinned != declared:
        sys.exit(f"pyproject.toml declares numpy>={declared} but {FLOOR_REQUIREMENTS.name} tests {pinned}")
    return declared


def test_numpy_floor() -> None:
    """The companion's unit tests and doctests with the oldest NumPy that pyproject.toml allows."""
    floor = numpy_floor()
    exe = ensure_venv(ROOT / ".venv-numpy-floor", sys.executable, "-r", str(FLOOR_REQUIREMENTS),
                      inputs=(FLOOR_REQUIREMENTS, ROOT / "pyproject.toml"))
    say(f"companion tests with NumPy {floor}")
    run(exe, "-c", "import numpy; print('NumPy', numpy.__version__)")
    run(exe, "-m", "pytest", "tests", "companion", *leaving_out([*BOOK_TESTS, "tests/test_benchmarks.py"]),
        *PARALLEL, "-q", "-p", "no:cacheprovider", env=NATIVE)


def test_bundle() -> None:
    """The notebook bundle as a student uses it: unzipped in a temporary folder outside the clone,
    installed into a fresh virtual environment, then strict nbval over its notebooks, under the
    baseline CPU configuration (the bundle holds every chapter, so this is that configuration's pass)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from build_bundle import unpack

    with tempfile.TemporaryDirectory(prefix="softmax-and-argmax-bundle-") as tmp:
        folder = unpack(BUNDLE, Path(tmp))
        say(f"the notebook bundle, unzipped in {folder}")
        venv.create(folder / ".venv", with_pip=True)
        exe = folder / ".venv" / BIN / "python"
        run(exe, "-m", "pip", "install", "--quiet", "-r", "requirements.txt", cwd=folder)
        name, env = config("baseline (x86-64-v2)")
        say(f"nbval, CPU configuration: {name}")
        run(exe, "-c", SHOW_CPU, env=env)
        run(exe, "-m", "pytest", "--nbval", *PARALLEL, "-q", cwd=folder, env=env)


def test(pytest_args: list[str]) -> None:
    """Build the book (the site, browser and PDF tests read it), then every test.

    What does not wait for something else runs beside it, each step into a log printed when it ends:
    the other environments (Python 3.13, the NumPy floor, the notebook bundle) install and test at a
    lower priority from the start, filling the CPU that the book's steps leave; the main run starts
    once the HTML is built, beside the PDF's printing; the site and PDF tests come last."""
    if pytest_args:
        book()
        ensure_citation_tool()
        test_main(pytest_args)
        say("extra pytest arguments given: the other configurations are not run")
        return
    with ThreadPoolExecutor(max_workers=5) as pool:
        try:
            with BUILDING_COMPANION:  # .venv/ installs first; the others make their venvs meanwhile
                citation = in_background(pool, "cffconvert", ensure_citation_tool)
                others = [in_background(pool, "Python 3.13", test_newest_python),
                          in_background(pool, "NumPy floor", test_numpy_floor)]
                ensure_environment()
            build_site()
            others.append(in_background(pool, "notebook bundle", test_bundle))
            printing = in_background(pool, "PDF", pdf_where_possible, low_priority=False)
            test_main(leaving_out(PDF_TESTS))
            finish(printing, citation)
            say("the site's and the PDF's tests")
            run(VENV / BIN / "python", "-m", "pytest", *PDF_TESTS, *PARALLEL, "-p", "no:cacheprovider", "-q", env=NATIVE)
            finish(*others)
        finally:
            stop_everything()
    say("every test passed")


def test_main(pytest_args: list[str]) -> None:
    """Unit tests, doctests, the tests of the built book, and nbval in this machine's configuration
    (`pytest_args` may leave some out)."""
    exe = VENV / BIN / "python"
    say(f"the main run: unit tests, doctests, tests of the built book, nbval; CPU configuration: {CPU_CONFIGS[0][0]}")
    run(exe, "-c", SHOW_CPU, env=NATIVE)
    run(exe, "-m", "pytest", "tests", "companion", "tools", "book", *NBVAL, *PARALLEL, *pytest_args, env=NATIVE)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"book", "pdf", "test", "nbval"}:
        sys.exit(__doc__)
    if argv[0] == "book":
        book()
    elif argv[0] == "pdf":
        pdf()
    elif argv[0] == "test":
        test(argv[1:])
    else:
        nbval(ensure_environment(), argv[1:] or ["book"])


if __name__ == "__main__":
    main(sys.argv[1:])
