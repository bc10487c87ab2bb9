"""Checks of the built HTML book, file by file: what a reader relies on without running a browser.

* Offline: no page makes the browser fetch anything from another host (scripts, stylesheets,
  fonts, images), MathJax is the bundled copy, and every stylesheet's url()s are local.
* Links: every relative link, script, stylesheet and image resolves to a file of the site, and
  every #fragment to an id on the target page; no cross-reference was left unresolved.
* Accessibility: every image has alt text and every figure a caption.
* Reuse: notebook pages offer their .ipynb; every page's footer states both licences; the
  chapters render their references; the "How to cite" page and CITATION.cff agree.

The site is ``_build/html`` (``python3 tasks.py book``) or the folder in ``BOOK_HTML``.
Pages are discovered from the build, never listed here.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import shutil
import subprocess

import pytest
import yaml

from site_helpers import ARTIFACTS, BUILD_HINT, ROOT, Site, css_urls, in_ci, is_remote, load_site

# URLs that a theme or extension writes when a setting was left at its example value.
PLACEHOLDERS = (
    "executablebooks/jupyter-book",  # Jupyter Book's default repository.url
    "binder-examples/",  # sphinx-thebe's example Binder repository
    "example.com", "example.org", "your-org", "your-user", "your_user", "<your", "username/",
)
MAX_SITE_MB = 150  # MathJax alone is ~24 MB; much more than this means something was copied by mistake


def report(failures: list[str], what: str, limit: int = 40) -> str:
    shown = "\n  ".join(failures[:limit])
    more = f"\n  ... and {len(failures) - limit} more" if len(failures) > limit else ""
    return f"{len(failures)} {what}:\n  {shown}{more}"


@pytest.fixture(scope="module")
def site() -> Site:
    built = load_site()
    if not built.exists():
        pytest.fail(f"No built book in {built.root}: {BUILD_HINT}", pytrace=False)
    return built


def test_site_has_pages(site):
    pages = site.pages()
    assert len(pages) >= 3, f"only {len(pages)} pages in {site.root}"
    assert site.root_page().rel in {p.rel for p in pages}


def test_no_page_fetches_from_another_host(site):
    failures = []
    for page in site.pages():
        for ref in page.refs:
            if ref.fetched and is_remote(ref.url):
                failures.append(f"{page.rel}: <{ref.tag} {ref.attr}={ref.url!r}>")
        for css in page.styles + page.style_attrs:
            failures += [f"{page.rel}: inline style fetches {u}" for u in css_urls(css) if is_remote(u)]
    assert not failures, report(failures, "remote scripts, stylesheets, fonts or images (the book must read offline)")


def test_stylesheets_and_fonts_are_local(site):
    sheets = site.stylesheets()
    assert sheets, "no local stylesheet found"
    failures = []
    for rel in sheets:
        for url in css_urls((site.root / rel).read_text(encoding="utf-8", errors="replace")):
            if url.startswith(("data:", "#")):
                continue
            if is_remote(url):
                failures.append(f"{rel}: fetches {url}")
                continue
            target = (site.root / rel).parent / url.split("?")[0].split("#")[0]
            if not target.resolve().is_file():
                failures.append(f"{rel}: url({url}) does not exist")
    assert not failures, report(failures, "stylesheet references that are remote or missing")


def test_mathjax_is_the_bundled_copy(site):
    with_math = [p for p in site.pages() if p.math]
    assert with_math, "no page has any equation: is dollarmath enabled and MathJax configured?"
    failures = []
    for page in with_math:
        scripts = [(ref.url, target) for ref, target, _ in page.targets()
                   if ref.tag == "script" and "mathjax" in ref.url.lower()]
        if not scripts:
            failures.append(f"{page.rel}: has {page.math} equations but loads no local MathJax")
        for url, target in scripts:
            if not (target.startswith("_static/") and (site.root / target).is_file()):
                failures.append(f"{page.rel}: MathJax script {url} is not a bundled file")
    assert not failures, report(failures, "pages without the offline MathJax")


def test_internal_links_and_anchors_resolve(site):
    # The whole-book PDF is printed by Chromium (tasks.py pdf): a laptop without it has no PDF to link.
    no_pdf = not shutil.which("chromium") and not in_ci()
    failures = []
    for page in site.pages():
        for ref, target, fragment in page.targets():
            path = site.root / target
            if no_pdf and target == "softmax-and-argmax.pdf":
                continue
            if target.startswith("..") or not path.is_file():
                failures.append(f"{page.rel}: {ref.tag} {ref.attr}={ref.url!r} -> missing file {target}")
            elif fragment and target.endswith(".html") and fragment not in site.page(target).ids:
                failures.append(f"{page.rel}: {ref.url!r} -> no id {fragment!r} in {target}")
    assert not failures, report(failures, "broken internal links")


def test_no_unresolved_cross_references(site):
    failures = [f"{p.rel}: {text!r}" for p in site.pages() for text in p.unresolved]
    assert not failures, report(failures, "cross-references that Sphinx could not resolve (build with -n shows them)")


def test_every_document_is_in_the_table_of_contents(site):
    in_toc = {rel for _, rel in site.toc()}
    missing = [f"{d}.html" for d in site.docnames() if f"{d}.html" not in in_toc]
    assert not missing, report(missing, "built pages that no table-of-contents entry reaches")
    absent = [rel for rel in in_toc if not (site.root / rel).is_file()]
    assert not absent, report(absent, "table-of-contents entries without a page")


def test_every_image_has_alt_text_and_every_figure_a_caption(site):
    failures = []
    for page in site.pages():
        for img in page.images:
            alt = (img["alt"] or "").strip()
            if re.search(r"(_images/|\.(png|jpe?g|gif|svg|webp)$)", alt, re.IGNORECASE):
                failures.append(f"{page.rel}: <img> alt text is a file name ({alt[:60]!r}); place the figure "
                                "with {glue:figure} and an :alt: describing it")
            elif not alt:
                hint = (" (a to_jshtml() animation: add alt text to its frame, e.g. "
                        "html.replace('<img id=\"_anim_img', '<img alt=\"...\" id=\"_anim_img', 1))"
                        if (img["id"] or "").startswith("_anim_img") else "")
                failures.append(f"{page.rel}: <img src={str(img['src'])[:60]!r}> has no alt text{hint}")
            if "_images/" in (img["src"] or "") and not img["figure"]:
                failures.append(f"{page.rel}: image {img['src']} is not a numbered figure with a caption "
                                "(place it with {glue:figure} and :name:, :alt: and a caption)")
        for fig in page.figures:
            if not re.sub(r"^(Fig(ure)?\.?\s*[\d.]+\s*)", "", fig.caption).strip():
                failures.append(f"{page.rel}: figure {fig.ident or '(no id)'} has no caption")
    assert not failures, report(failures, "images or figures a screen-reader user or a printed page would miss")


def test_solutions_hold_their_code_and_output(site):
    """No answer shows before its toggle is opened: every solution is a dropdown, and no code cell
    (code or output) sits right after one, the mark of solution code placed after a closed
    {solution} directive instead of between solution-start and solution-end."""
    from bs4 import BeautifulSoup

    failures, solutions = [], 0
    for page in site.pages():
        soup = BeautifulSoup((site.root / page.rel).read_text(encoding="utf-8"), "html.parser")
        for div in soup.select("div.solution"):
            solutions += 1
            ident = div.get("id", "?")
            if "dropdown" not in div.get("class", []):
                failures.append(f"{page.rel}: solution {ident} is not hidden (it lacks :class: dropdown)")
            after = div.find_next_sibling()
            if after is not None and after.name == "div" and "cell" in after.get("class", []):
                failures.append(f"{page.rel}: a code cell follows solution {ident} outside it: its code and "
                                "output show under the exercise (wrap them in solution-start / solution-end)")
    assert solutions, "no exercise solution found in the built book"
    assert not failures, report(failures, "solutions whose answer shows before it is opened")


def test_notebook_solutions_are_gated():
    """In the notebooks themselves: a solution with code is a solution-start ... solution-end pair
    with the code cells between; a closed {solution} directive is never followed by a code cell."""
    failures = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        open_at = None
        for i, cell in enumerate(cells):
            text = "".join(cell["source"])
            where = f"{path.name} cell {i}"
            if cell["cell_type"] == "markdown":
                if re.search(r"\{solution\}", text) and i + 1 < len(cells) and cells[i + 1]["cell_type"] == "code":
                    failures.append(f"{where}: code after a closed {{solution}}: use solution-start / solution-end")
                if re.search(r"\{solution\}|\{solution-start\}", text) and ":class: dropdown" not in text:
                    failures.append(f"{where}: a solution without :class: dropdown is shown open")
                for mark in re.findall(r"\{solution-(start|end)\}", text):  # in the order they appear
                    if mark == "start":
                        if open_at is not None:
                            failures.append(f"{where}: solution-start inside the solution opened at cell {open_at}")
                        open_at = i
                    else:
                        if open_at is None:
                            failures.append(f"{where}: solution-end without a solution-start")
                        open_at = None
        if open_at is not None:
            failures.append(f"{path.name} cell {open_at}: solution-start never ended")
    assert not failures, report(failures, "solutions that would show their answer")


def test_notebook_pages_offer_their_notebook(site):
    notebooks = site.notebook_pages()
    assert notebooks, "no page was built from a notebook"
    failures = []
    for rel in notebooks:
        page = site.page(rel)
        wanted = f"_sources/{page.docname}.ipynb"
        if wanted not in {target for _, target, _ in page.targets()}:
            failures.append(f"{rel}: no download link to {wanted}")
            continue
        notebook = json.loads((site.root / wanted).read_text(encoding="utf-8"))
        if notebook.get("nbformat") != 4 or not notebook.get("cells"):
            failures.append(f"{wanted}: not a notebook with cells")
    assert not failures, report(failures, "notebook pages without a working .ipynb download")


def test_no_placeholder_urls(site):
    """Repository and launch buttons appear only with the real repository.url set in _config.yml.

    Without it, Jupyter Book fills in its own repository and sphinx-thebe its example Binder
    repository; launch buttons (Binder, Colab, JupyterHub) would then open someone else's project.
    """
    failures = []
    for page in site.pages():
        html = (site.root / page.rel).read_text(encoding="utf-8", errors="replace")
        failures += [f"{page.rel}: contains placeholder {p!r}" for p in PLACEHOLDERS if p in html]
    assert not failures, report(failures, "placeholder URLs (set repository.url in _config.yml, see README)")


def test_every_page_states_the_licences_in_its_footer(site):
    failures = []
    for page in site.pages():
        if "CC BY 4.0" not in page.footer or "MIT" not in page.footer:
            failures.append(f"{page.rel}: footer {page.footer[-120:]!r} does not name CC BY 4.0 and MIT")
        if not any("creativecommons.org/licenses/by/4.0" in url for url in page.footer_links):
            failures.append(f"{page.rel}: footer does not link the CC BY 4.0 licence")
    assert not failures, report(failures, "pages without the licences in the footer")


def test_every_chapter_renders_its_references(site):
    chapters = site.chapters()
    assert chapters, "no numbered chapter in the table of contents"
    failures = []
    for rel in chapters:
        page = site.page(rel)
        if not page.has_references_section:
            failures.append(f"{rel}: no '## References' section")
        elif not page.footnotes:
            failures.append(f"{rel}: its References section lists no work ({{footbibliography}} rendered nothing)")
    bibliographies = [p for p in site.pages() if p.title.startswith("Bibliography")]
    assert bibliographies, "no Bibliography page in the book"
    failures += [f"{p.rel}: the bibliography lists no entry" for p in bibliographies if not p.citations]
    assert not failures, report(failures, "missing reference lists")


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_matches_the_package():
    import companion

    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == companion.__version__, "CITATION.cff and companion.__version__ disagree"
    import tomllib

    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert name != "companion", "`companion` on the package index is an unrelated project: use our own name"
    assert any(i.get("value") == name for i in cff.get("identifiers", [])), f"CITATION.cff does not name {name}"
    assert any(a.get("name") == "The Softmax and Argmax authors" for a in cff["authors"])
    dt.date.fromisoformat(str(cff["date-released"]))
    preferred = cff.get("preferred-citation")
    if preferred:
        assert preferred["type"] == "book"
        assert str(preferred.get("year")) == str(cff["date-released"])[:4]


def test_citation_cff_is_valid_against_the_schema():
    """Runs cffconvert from its own venv, .venv-cff/, which tasks.py makes on first use (cffconvert
    pins jsonschema<4, which must not share an environment with the Jupyter stack)."""
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    tasks.ensure_citation_tool()
    exe = ROOT / ".venv-cff" / tasks.BIN / "cffconvert"
    result = subprocess.run([str(exe), "--validate", "--infile", str(ROOT / "CITATION.cff")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def bibtex_entry(text: str, kind: str) -> str:
    """The first BibTeX entry of ``kind`` in ``text``, up to its matching closing brace ('' if none).

    >>> bibtex_entry("see @misc{k, author = {{A B}}, year = {2026}, } and more", "@misc")
    '@misc{k, author = {{A B}}, year = {2026}, }'
    """
    start = text.find(kind + "{")
    if start < 0:
        return ""
    depth = 0
    for i in range(start + len(kind), len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start: i + 1]
    return ""


def test_how_to_cite_page(site):
    pages = [p for p in site.pages() if p.docname.rsplit("/", 1)[-1] == "how-to-cite"]
    assert pages, "no 'How to cite' page (book/how-to-cite.md) in the built book: add it to _toc.yml"
    text = pages[0].text
    version = str(citation()["version"])
    entry = bibtex_entry(text, "@book")
    assert entry, "the How to cite page shows no @book BibTeX entry"
    for needed in ("{The Softmax and Argmax authors}", "2026", version, "Softmax and Argmax"):
        assert needed in entry, f"the @book entry lacks {needed!r}"
    assert not re.search(r"\burl\s*=", entry), "the @book entry must not carry an invented url"
    package = bibtex_entry(text, "@misc")
    assert "companion" in package, "no @misc BibTeX entry for the companion package"
    import tomllib

    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert name in package and name in text, f"the How to cite page does not name the distribution {name}"
    from pybtex.database import parse_string  # installed with sphinxcontrib-bibtex

    for source in (entry, package):
        parsed = parse_string(source, "bibtex")
        (fields,) = [e.fields for e in parsed.entries.values()]
        assert fields["year"] == "2026" and version in fields["note"], source
        (person,) = list(parsed.entries.values())[0].persons["author"]
        assert str(person) == "{The Softmax and Argmax authors}", "the author must stay one collective name"
    assert "CC BY 4.0" in text and "MIT" in text


def test_build_is_strict_and_nitpicky():
    """The book command builds with -W -n and Sphinx's nitpicky mode on, so a broken reference stops it."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"].get("nitpicky") is True
    tasks = (ROOT / "tasks.py").read_text(encoding="utf-8")
    assert '"-W"' in tasks and '"-n"' in tasks


def test_site_size_and_summary(site):
    """Writes artifacts/site-summary.json (pages, equations, figures, size) and bounds the size."""
    pages = site.pages()
    size = site.size_bytes()
    summary = {
        "site": str(site.root),
        "pages": len(pages),
        "chapters": len(site.chapters()),
        "parts": [name for name, _ in site.parts()],
        "equations": sum(p.math for p in pages),
        "figures": sum(len(p.figures) for p in pages),
        "images": sum(len(p.images) for p in pages),
        "animations": sum(p.animations for p in pages),
        "hidden_solutions": sum(p.solutions for p in pages),
        "size_mb": round(size / 2**20, 1),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "site-summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    assert size < MAX_SITE_MB * 2**20, f"the built site is {summary['size_mb']} MB (limit {MAX_SITE_MB} MB)"


def test_readme_keeps_its_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.split("#")[0].strip() for line in lines[:8] if line.startswith("python3 tasks.py")]
    assert commands == ["python3 tasks.py book", "python3 tasks.py test"], commands
