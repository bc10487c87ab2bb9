"""Read the built book in a real browser (headless Chromium), page by page, offline.

The site (``_build/html``, or the folder in ``BOOK_HTML``) is served on 127.0.0.1 and every
page is opened in Debian's Chromium driven by Playwright. Any request to another host is
blocked and counted as a failure, so a page passes only if it reads with no network. On every
page:

* it loads with no failed local request, no HTTP error, no console error and no script error;
* MathJax (the bundled copy) has typeset every equation: at least as many ``mjx-container``
  elements as the HTML has math elements, no MathJax error, no raw ``$$`` or ``\\(`` left;
* every image has loaded and has alt text;
* every matplotlib ``to_jshtml()`` animation plays: clicking Play changes the frame;
* every hidden exercise solution opens on click, as does a hidden code cell.

Besides: the search page finds "softmax"; one screenshot per part of the table of contents is
saved under ``artifacts/screenshots/``; one chapter is printed to PDF (``artifacts/``) and the
PDF is checked for pages, a figure caption, an equation number and a solution printed open.

Chromium: ``apt-get install chromium`` (never a browser download). Without it the tests fail
in CI (CI=true) and are skipped elsewhere, with that hint.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from site_helpers import ARTIFACTS, BUILD_HINT, in_ci, load_site, pdf_text, serve, squeeze

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000  # every wait on the browser is bounded by this
SEARCH_WORD = "softmax"
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
INSTALL_HINT = (
    "headless Chromium is needed for the browser tests: install Debian's package with "
    "`sudo apt-get install chromium` (or set CHROMIUM=/path/to/chromium); never `playwright install`"
)

SITE = load_site()
PAGES = [p.rel for p in SITE.pages()] if SITE.exists() else ["(book not built)"]


def chromium_path() -> str | None:
    """Debian's Chromium on the PATH, or the browser named by the CHROMIUM environment variable."""
    chosen = os.environ.get("CHROMIUM", "").strip()
    for candidate in [chosen] if chosen else ["chromium", "chromium-browser"]:
        if found := shutil.which(candidate):
            return found
    return None


def chromium_args() -> list[str]:
    args = [
        "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


@pytest.fixture(scope="module")
def site():
    if not SITE.exists():
        pytest.fail(f"No built book in {SITE.root}: {BUILD_HINT}", pytrace=False)
    return SITE


@pytest.fixture(scope="module")
def browser(site):
    executable = chromium_path()
    if executable is None:
        if in_ci():
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        # launch() gives the browser a fresh temporary profile (user-data-dir) every time
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=chromium_args(), timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module", autouse=True)
def fresh_artifacts():
    """Screenshots and per-page counts of this run only (not of pages a previous build had)."""
    for folder in (SCREENSHOTS, ARTIFACTS / "browser"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site.root) as url:
        yield url


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT, service_workers="block", reduced_motion="reduce")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


class Reader:
    """One browser tab on one page of the served site, recording every problem it meets."""

    SETTLE = """async (ms) => {
        const within = (promise) => Promise.race([promise, new Promise(r => setTimeout(() => r('timeout'), ms))]);
        let mathjax = 'absent';
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            mathjax = await within(MathJax.startup.promise.then(() => 'typeset'));
        }
        const fonts = await within(document.fonts.ready.then(() => 'ready'));
        return {mathjax, fonts};
    }"""

    def __init__(self, context, base_url: str, rel: str):
        self.base = base_url
        self.rel = rel
        self.problems: list[str] = []
        self.page = context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def load(self, query: str = "") -> Reader:
        self.page.goto(self.base + self.rel + query, wait_until="load")
        self.settle()
        return self

    def _local(self, url: str) -> bool:
        return url.startswith(self.base) or url.startswith(("data:", "blob:", "about:"))

    def _route(self, route):
        url = route.request.url
        if self._local(url):
            route.continue_()
        else:
            self.problems.append(f"asked for a remote resource: {url}")
            route.abort()

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request):
        if request.url.startswith(self.base):
            self.problems.append(f"local request failed: {request.url} ({request.failure})")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def settle(self) -> None:
        """Wait (bounded) until the page's scripts, MathJax, images and fonts are done."""
        page = self.page
        page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        page.wait_for_function(
            "() => !document.querySelector('script[src*=\"mathjax\" i]')"
            " || (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)",
            timeout=TIMEOUT_MS)
        state = page.evaluate(self.SETTLE, TIMEOUT_MS)
        if state["mathjax"] == "timeout":
            self.problems.append("MathJax did not finish typesetting")
        page.wait_for_function(
            "() => Array.from(document.images).every(i => i.complete"
            " && (!(i.id || '').startsWith('_anim_img') || i.getAttribute('src')))",
            timeout=TIMEOUT_MS)

    def close(self) -> None:
        self.page.close()


@pytest.fixture()
def open_page(context, base_url):
    readers: list[Reader] = []

    def opener(rel: str, query: str = "") -> Reader:
        reader = Reader(context, base_url, rel)
        readers.append(reader)
        return reader.load(query)

    yield opener
    for reader in readers:
        reader.close()


def check_math(reader: Reader, expected: int) -> int:
    page = reader.page
    found = page.evaluate("""() => {
        const containers = document.querySelectorAll('mjx-container').length;
        const errors = Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent);
        const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'TEXTAREA', 'MJX-CONTAINER', 'MJX-ASSISTIVE-MML']);
        const root = document.querySelector('main') || document.body;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode(node) {
            for (let el = node.parentElement; el && el !== root; el = el.parentElement) {
                if (skip.has(el.tagName) || el.classList.contains('highlight')) return NodeFilter.FILTER_REJECT;
            }
            return NodeFilter.FILTER_ACCEPT;
        }});
        const raw = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const t = node.textContent;
            const i = t.search(/\\$\\$|\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\\\begin\\{/);
            if (i >= 0) raw.push(t.slice(Math.max(0, i - 30), i + 30));
        }
        return {containers, errors, raw};
    }""")
    if found["containers"] < expected:
        reader.problems.append(f"MathJax typeset {found['containers']} equations, the page has {expected}")
    reader.problems += [f"MathJax error: {e}" for e in found["errors"]]
    reader.problems += [f"raw TeX left in the text: ...{snippet}..." for snippet in found["raw"]]
    return found["containers"]


def check_images(reader: Reader) -> int:
    images = reader.page.evaluate("""() => Array.from(document.images).map(i => ({
        src: (i.currentSrc || i.getAttribute('src') || '').slice(0, 80), alt: i.getAttribute('alt'),
        loaded: i.complete && i.naturalWidth > 0}))""")
    for image in images:
        if not image["loaded"]:
            reader.problems.append(f"image did not load: {image['src']}")
        if not (image["alt"] or "").strip():
            reader.problems.append(f"image without alt text: {image['src']}")
    return len(images)


def check_animations(reader: Reader) -> int:
    page = reader.page
    animations = page.locator("div.animation:has(img[id^='_anim_img'])")
    for i in range(animations.count()):
        animation = animations.nth(i)
        frame = animation.locator("img[id^='_anim_img']")
        before = frame.get_attribute("src")
        play = animation.locator("button[title='Play'], button[onclick*='play_animation']").first
        pause = animation.locator("button[title='Pause'], button[onclick*='pause_animation']").first
        if not play.count():
            reader.problems.append(f"animation {i + 1}: no Play button")
            continue
        play.click()
        try:
            page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                                   arg=[frame.element_handle(), before], timeout=TIMEOUT_MS)
        except Exception:  # playwright's TimeoutError
            reader.problems.append(f"animation {i + 1}: clicking Play did not change the frame")
        if pause.count():
            pause.click()
    return animations.count()


# Which of a solution's text-bearing elements (paragraphs, code, outputs, equations) a reader sees.
VISIBLE_PARTS = """(solution) => {
    const title = solution.querySelector(':scope > .admonition-title');
    const parts = Array.from(solution.querySelectorAll('p, pre, li, td, img, mjx-container, .cell_output'))
        .filter(el => !(title && title.contains(el)) && (el.tagName === 'IMG' || el.textContent.trim()));
    const seen = el => {
        const style = getComputedStyle(el);
        return el.getClientRects().length > 0 && style.visibility !== 'hidden' && style.display !== 'none';
    };
    return {parts: parts.length, visible: parts.filter(seen).length};
}"""


def check_hidden_content(reader: Reader) -> int:
    """Every solution shows none of its text, code or output until its toggle is clicked, and all of
    it afterwards; a hidden code cell opens on click."""
    page = reader.page
    solutions = page.locator("div.solution")
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        before = solution.evaluate(VISIBLE_PARTS)
        if before["parts"] == 0:
            reader.problems.append(f"solution {i + 1} has no text")
        if before["visible"]:
            reader.problems.append(f"solution {i + 1} shows {before['visible']} of its {before['parts']} parts "
                                   "before its toggle is opened")
        toggle = solution.locator("button.toggle-button")
        (toggle if toggle.count() else solution.locator(".admonition-title")).first.click()
        try:
            page.wait_for_function(f"(s) => ({VISIBLE_PARTS})(s).visible === ({VISIBLE_PARTS})(s).parts",
                                   arg=solution.element_handle(), timeout=TIMEOUT_MS)
        except Exception:  # playwright's TimeoutError
            after = solution.evaluate(VISIBLE_PARTS)
            reader.problems.append(f"solution {i + 1} shows {after['visible']} of its {after['parts']} parts "
                                   "after its toggle is clicked")
    cells = page.locator("details.hide")
    if cells.count():
        cell = cells.first
        cell.locator("summary").first.click()
        if not cell.evaluate("d => d.open"):
            reader.problems.append("a hidden code cell did not open on click")
    return solutions.count()


def record(rel: str, **counts) -> None:
    """Append this page's counts to artifacts/browser/<page>.json (read for the report)."""
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (rel.replace("/", "__") + ".json")).write_text(json.dumps({"page": rel, **counts}) + "\n")


# Problems that tools/book_site_fixes.py removes, with the hint to load it.
KNOWN_FIXES = ("THEBE_JS_URL", "invalid theme mode")
FIX_HINT = ("\n  (fixed by the Sphinx extension tools/book_site_fixes.py: load it in _config.yml with "
            "`sphinx: local_extensions: {book_site_fixes: tools}`)")


@pytest.mark.parametrize("rel", PAGES)
def test_page_reads_offline_in_a_browser(rel, site, open_page):
    page = site.page(rel)
    reader = open_page(rel)
    equations = check_math(reader, page.math)
    images = check_images(reader)
    animations = check_animations(reader)
    solutions = check_hidden_content(reader)
    record(rel, equations=equations, images=images, animations=animations, solutions=solutions)
    hint = FIX_HINT if any(k in p for p in reader.problems for k in KNOWN_FIXES) else ""
    assert not reader.problems, f"{rel}:\n  " + "\n  ".join(reader.problems) + hint


def test_the_front_door_opens_the_root_page(site, context, base_url):
    """The site's address (its index.html) leads to the book's first page."""
    reader = Reader(context, base_url, "")
    try:
        reader.page.goto(base_url, wait_until="load")
        reader.page.wait_for_url(base_url + site.root_page().rel, timeout=TIMEOUT_MS)
        reader.settle()
        assert not reader.problems, "\n".join(reader.problems)
    finally:
        reader.close()


def test_the_book_has_the_interactive_parts_the_tests_exercise(site):
    """The checks above run wherever the book has an animation or a hidden solution: make sure it has them."""
    pages = site.pages()
    assert any(p.solutions for p in pages), "no page has a hidden exercise solution ({solution} with :class: dropdown)"
    assert any(p.animations for p in pages), (
        "no page has a matplotlib to_jshtml() animation (the temperature chapter should have one)")


def test_search_finds_softmax(site, open_page):
    reader = open_page("search.html", f"?q={SEARCH_WORD}")
    results = reader.page.locator("#search-results ul.search li")
    results.first.wait_for(state="attached", timeout=TIMEOUT_MS)
    hits = results.count()
    links = reader.page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reader.page.screenshot(path=str(SCREENSHOTS / "search-softmax.png"))
    assert hits >= 1, f"searching for {SEARCH_WORD!r} found nothing"
    assert all(link.startswith(reader.base) for link in links), links
    assert not reader.problems, "\n".join(reader.problems)


def test_screenshot_of_each_part(site, open_page):
    """artifacts/screenshots/<n>-<page>.png: the root page and the first page of every part."""
    parts = site.parts()
    assert parts, "the table of contents has no parts (captions)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = [("root", site.root_page().rel)] + [(name, pages[0]) for name, pages in parts]
    problems = []
    for n, (name, rel) in enumerate(shots):
        reader = open_page(rel)
        path = SCREENSHOTS / f"{n:02d}-{rel.rsplit('/', 1)[-1].removesuffix('.html')}.png"
        height = min(reader.page.evaluate("() => document.documentElement.scrollHeight"), 2400)
        reader.page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})
        assert path.stat().st_size > 10_000, f"{path} looks empty"
        problems += [f"{name} ({rel}): {p}" for p in reader.problems]
    assert not problems, "\n".join(problems)


PRINTED = """() => {
    const shown = (sel) => Array.from(document.querySelectorAll(sel)).filter(e => e.getClientRects().length);
    // the first run of four plain words (no maths inside) of an element, to look for in the PDF text
    const words = (el) => {
        if (!el) return '';
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.parentElement.closest('mjx-container')) continue;
            const run = node.textContent.split(/\\s+/).filter(Boolean);
            if (run.length >= 4) return run.slice(0, 4).join(' ');
        }
        return '';
    };
    return {
        equations: shown('mjx-container').length,
        figures: shown('figure img').length,
        caption: words(shown('figure figcaption .caption-text')[0]),
        solution: words(document.querySelector('div.solution.dropdown > :not(.admonition-title)')),
        number: (((shown('span.eqno')[0] || {}).firstChild) || {textContent: ''}).textContent.trim(),
    };
}"""


def test_print_a_chapter_to_pdf(site, open_page):
    """Browser print of a chapter keeps its equations, figures and captions, and prints solutions open.

    The PDF is saved as artifacts/print-<page>.pdf, with its extracted text beside it (.txt).
    """
    candidates = [rel for _, rel in site.toc() if site.page(rel).math and site.page(rel).figures]
    candidates = candidates or [rel for _, rel in site.toc() if site.page(rel).math]
    assert candidates, "no page with equations to print"
    rel = candidates[0]
    reader = open_page(rel)
    page = reader.page
    page.emulate_media(media="print")
    printed = page.evaluate(PRINTED)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"print-{rel.rsplit('/', 1)[-1].removesuffix('.html')}.pdf"
    data = page.pdf(path=str(path), format="A4", print_background=True,
                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
    page.emulate_media(media="screen")
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    text = pdf_text(data)
    (ARTIFACTS / (path.stem + ".txt")).write_text(text + "\n", encoding="utf-8")
    assert pages >= 1, f"{path} has no page"
    assert printed["equations"] >= 1, "no typeset equation is displayed in print"
    if site.page(rel).figures:
        assert printed["figures"] >= 1, "no figure image is displayed in print"
    for what in ("caption", "solution", "number"):
        if printed[what]:
            assert squeeze(printed[what]) in squeeze(text), (
                f"{what} {printed[what]!r} is not in the PDF {path} ({len(text)} characters of text read from it)")
    assert not reader.problems, "\n".join(reader.problems)
