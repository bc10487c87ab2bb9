#!/usr/bin/env python3
"""Print the whole book as one PDF with headless Chromium: ``_build/pdf/softmax-and-argmax.pdf``.

    python tools/build_pdf.py      # after: jupyter-book build . --builder singlehtml

(``python3 tasks.py pdf`` runs both.) The single-page build (``_build/singlehtml``) is served on
127.0.0.1 and opened in Debian's Chromium, every request to another host blocked. Once MathJax
has typeset every equation, the page is turned into a book: a title page, a table of contents
with the parts and numbered chapters (linked), each chapter on a new page, solutions open, code
wrapped at the margin instead of cut, and no screen-only furniture (sidebars, buttons, links to
headings). Chromium then prints it to A4 with page numbers and a PDF outline of the chapters.

Chromium: ``apt-get install chromium`` (never a browser download); ``CHROMIUM`` names another.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "_build" / "singlehtml"
OUT = ROOT / "_build" / "pdf" / "softmax-and-argmax.pdf"
TIMEOUT_MS = 120_000

# Print styles: what a reader of paper needs, and nothing a screen reader would click.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
@media print {
  .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-header-article, .bd-footer,
  .bd-footer-article, .bd-footer-content, .prev-next-area, #jb-print-docs-body, .headerlink,
  .toggle-button, button, .search-button-field, .skip-link, #pst-back-to-top, .header-article-items,
  div.cell.tag_remove-input:empty, .animation .anim-controls, .animation input[type=range],
  .animation .anim-state { display: none !important; }
  .bd-main .bd-content { margin: 0 !important; }
  .bd-main .bd-content .bd-article-container, .bd-article { max-width: none !important; padding: 0 !important; }
  pre, pre span, .highlight pre { white-space: pre-wrap !important; overflow-wrap: anywhere !important;
                                  word-break: break-word; overflow: visible !important; }
  div.highlight, div.cell_output, .output { overflow: visible !important; max-height: none !important; }
  .toggle-hidden, .solution > section, .dropdown > * { display: block !important; visibility: visible !important;
                                                       opacity: 1 !important; max-height: none !important; }
  section.book-chapter { break-before: page; }
  mjx-container[display="true"] { overflow: visible !important; }
  figure, table, .math { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
#book-title-page { height: 250mm; display: flex; flex-direction: column; justify-content: center;
                   text-align: center; break-after: page; }
#book-title-page .book-title { font-size: 40pt; font-weight: bold; margin: 0 0 6mm 0; }
#book-title-page .book-subtitle { font-size: 15pt; margin: 0 20mm 24mm 20mm; }
#book-title-page .book-meta { font-size: 11pt; line-height: 1.6; }
#book-contents { break-after: page; }
#book-contents .contents-title { font-size: 22pt; font-weight: bold; margin-bottom: 4mm; }
#book-contents .part { font-weight: bold; margin: 5mm 0 1mm 0; }
#book-contents ul { list-style: none; padding-left: 6mm; margin: 0; }
#book-contents li { margin: 1mm 0; }
"""

# Run in the page: drop the single-page build's own contents list, mark where each chapter
# starts, open the solutions, and put a title page and a table of contents in front.
MAKE_BOOK = """({title, subtitle, meta, parts}) => {
    const article = document.querySelector('article.bd-article') || document.querySelector('main');
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
    // the single-page build marks where each document starts with <span id="document-book/...">
    const chapters = new Map();
    for (const mark of document.querySelectorAll('span[id^="document-"]')) {
        const section = mark.nextElementSibling;
        if (!section || section.tagName !== 'SECTION') continue;
        section.classList.add('book-chapter');
        const head = section.querySelector('h1, h2');
        chapters.set(mark.id.slice('document-'.length), head ? head.textContent.replace(/#$/, '').trim() : mark.id);
    }
    const contents = document.createElement('section');
    contents.id = 'book-contents';
    contents.innerHTML = '<div class="contents-title">Contents</div>';
    for (const part of parts) {
        const head = document.createElement('div');
        head.className = 'part';
        head.textContent = part.caption;
        const list = document.createElement('ul');
        for (const file of part.files) {
            const li = document.createElement('li');
            const a = document.createElement('a');
            a.href = '#document-' + file;
            a.textContent = chapters.get(file) || file;
            li.appendChild(a);
            list.appendChild(li);
        }
        contents.append(head, list);
    }
    const cover = document.createElement('section');
    cover.id = 'book-title-page';
    cover.innerHTML = '<div class="book-title"></div><p class="book-subtitle"></p><div class="book-meta"></div>';
    cover.querySelector('.book-title').textContent = title;
    cover.querySelector('.book-subtitle').textContent = subtitle;
    for (const line of meta) {
        const p = document.createElement('div');
        p.textContent = line;
        cover.querySelector('.book-meta').appendChild(p);
    }
    article.prepend(cover, contents);
    return chapters.size;
}"""

FOOTER = ('<div style="font-size:8pt;width:100%;text-align:center;color:#555">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def chromium() -> str:
    chosen = os.environ.get("CHROMIUM", "").strip()
    for candidate in [chosen] if chosen else ["chromium", "chromium-browser"]:
        if found := shutil.which(candidate):
            return found
    sys.exit("the PDF is printed by Debian's Chromium: install it with `sudo apt-get install chromium` "
             "(or set CHROMIUM=/path/to/chromium); never `playwright install`")


def chromium_args() -> list[str]:
    args = ["--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-dev-shm-usage", "--mute-audio"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


@contextlib.contextmanager
def serve(folder: Path):
    """Serve `folder` on 127.0.0.1 (a free port) for the duration of the block; yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def toc_parts() -> list[dict]:
    """The parts of the table of contents, in order, each with its chapters' document names."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [{"caption": part["caption"], "files": [c["file"].removesuffix(".ipynb").removesuffix(".md")
                                                   for c in part.get("chapters", [])]}
            for part in toc.get("parts", [])]


def front_matter() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    released = date.fromisoformat(str(cff["date-released"]))
    meta = [config["author"], f"Version {cff['version']}, {released:%B %Y}",
            "Text and figures: CC BY 4.0. Code: MIT licence."]
    return {"title": config["title"], "subtitle": config.get("description", ""), "meta": meta,
            "parts": toc_parts()}


def build(out: Path = OUT) -> Path:
    from playwright.sync_api import sync_playwright

    page_path = SINGLE / "book" / "intro.html"
    if not page_path.exists():
        sys.exit(f"no single-page build in {SINGLE}: run `jupyter-book build . --builder singlehtml` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    # The single-page build writes its page to book/intro.html with asset paths (_static/, _images/)
    # that assume the output folder's root: serve a copy from there.
    shutil.copyfile(page_path, SINGLE / "book.html")
    with serve(SINGLE) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), headless=True, args=chromium_args())
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.set_default_timeout(TIMEOUT_MS)
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                       or route.request.url.startswith(("data:", "blob:")) else route.abort())
            page.goto(base + "book.html", wait_until="load", timeout=TIMEOUT_MS)
            page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
            page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
            page.add_style_tag(content=PRINT_CSS)
            chapters = page.evaluate(MAKE_BOOK, front_matter())
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                     header_template="<span></span>", footer_template=FOOTER, outline=True, tagged=True,
                     margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        finally:
            browser.close()
    print(f"[pdf] {out}: {chapters} documents, {out.stat().st_size / 2**20:.1f} MB")
    return out


if __name__ == "__main__":
    build()
