"""The whole book as one PDF (``python3 tasks.py pdf``), read back the way a printer or a student sees it.

* it is a book: a title page, a table of contents, every chapter in order with its number, the
  bibliography, and a plausible number of pages;
* equations are typeset (no raw TeX outside code), no cell-toggle label is printed, no glue call
  or other authoring line is printed, solutions are printed open;
* code wraps at the margin instead of being cut: the longest line of visible code is whole in the
  PDF's text;
* the PDF has an outline (bookmarks) for its chapters, and the site links it.

The PDF is printed by Debian's Chromium, so like the browser tests these are skipped on a laptop
without it, and fail in CI (CI=true).
"""

from __future__ import annotations

import functools
import json
import re
import shutil

import pytest
import yaml

from site_helpers import ROOT, in_ci, load_site, squeeze

PDF = ROOT / "_build" / "pdf" / "softmax-and-argmax.pdf"
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell", "hide-cell"}
TOGGLE_LABELS = ("Show code cell", "Hide code cell", "Click to show", "Click to hide", "Toggle hidden content")
RAW_TEX = re.compile(r"\$\$|\\begin\{|\\end\{|\\\(|\\\)|\\\[|\\\]|\\frac\{|\\sum_|\\mathrm\{")


@functools.cache
def pages() -> list[str]:
    if not PDF.exists():
        if not shutil.which("chromium") and not in_ci():
            pytest.skip("the PDF is printed by Debian's Chromium (sudo apt-get install chromium), "
                        "which this machine lacks")
        pytest.fail(f"no {PDF.relative_to(ROOT)}: run `python3 tasks.py pdf`", pytrace=False)
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(PDF).pages]


@functools.cache
def text() -> str:
    return squeeze("\n".join(pages()))


def notebooks() -> list[dict]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part.get("chapters", [])]
    paths = [ROOT / (f + ".ipynb") for f in files if (ROOT / (f + ".ipynb")).exists()]
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def visible_code_lines() -> list[str]:
    """Every line of code a reader sees printed (cells without a hiding tag)."""
    lines = []
    for nb in notebooks():
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and not HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
                lines += [line for line in "".join(cell["source"]).splitlines() if line.strip()]
    return lines


def numbered_chapter_titles() -> list[str]:
    """'1. From scores to decisions', ...: the chapters of the numbered parts, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    titles, number = [], 0
    for part in toc["parts"]:
        if not part.get("numbered"):
            continue
        for chapter in part["chapters"]:
            number += 1
            path = ROOT / (chapter["file"] + ".ipynb")
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            heading = re.search(r"^# (.+)$", "".join(cells[0]["source"]), re.M)
            titles.append(f"{number}. {heading.group(1).strip()}")
    return titles


def test_the_pdf_is_a_whole_book():
    printed = pages()
    assert 150 <= len(printed) <= 1500, f"{len(printed)} pages"
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert squeeze(config["title"]) in squeeze(printed[0]), "the first page is not the title page"
    assert "Contents" in printed[1], "the second page is not the table of contents"
    where = -1
    for title in numbered_chapter_titles():
        found = text().find(squeeze(title), where + 1)
        assert found > where, f"chapter {title!r} is missing or out of order"
        where = found
    assert "Bibliography" in "\n".join(printed[-30:]), "no bibliography near the end"


def test_equations_are_typeset_and_no_toggle_label_is_printed():
    code = squeeze("\n".join(visible_code_lines()))
    raw = [m.group(0) for m in RAW_TEX.finditer(text())
           if text()[max(0, m.start() - 12): m.end() + 12] not in code]
    assert not raw, f"raw TeX printed outside code: {raw[:10]}"
    labels = [label for label in TOGGLE_LABELS if squeeze(label) in text()]
    assert not labels, f"cell-toggle labels printed: {labels}"


def test_no_authoring_noise_is_printed():
    noise = [line.strip() for line in visible_code_lines() if re.match(r"\s*glue\(", line)]
    assert not noise, f"{len(noise)} glue calls are printed, e.g. {noise[:3]}"
    assert "glue(" not in text(), "a glue call is printed"


def test_a_long_code_line_is_printed_whole():
    longest = max(visible_code_lines(), key=len)
    assert len(longest) > 80, "no long line of code to check"
    assert squeeze(longest) in text(), f"the longest visible code line is cut in the PDF: {longest!r}"


def test_solutions_are_printed_open():
    site = load_site()
    solutions = []
    for page in site.pages():
        from bs4 import BeautifulSoup

        soup = BeautifulSoup((site.root / page.rel).read_text(encoding="utf-8"), "html.parser")
        for div in soup.select("div.solution > section p"):
            words = div.get_text(" ", strip=True).split()
            if len(words) >= 6 and not div.find("span", class_="math"):
                solutions.append(" ".join(words[:6]))
                break
    assert solutions, "no solution text found in the site"
    missing = [s for s in solutions if squeeze(s) not in text()]
    assert not missing, f"solutions not printed: {missing[:5]}"


def test_the_pdf_has_an_outline_and_the_site_links_it():
    from pypdf import PdfReader

    pages()  # skips, as the other PDF tests do, where no Chromium can print the PDF
    outline = PdfReader(PDF).outline
    assert len(outline) >= len(numbered_chapter_titles()), "the PDF has no outline of its chapters"
    site = load_site()
    linked = [p.rel for p in site.pages() if any(t.endswith(PDF.name) for _, t, _ in p.targets())]
    assert linked, f"no page of the site links {PDF.name}"
    assert (site.root / PDF.name).is_file(), f"{PDF.name} is not in the site"
