"""Read the built book: where it is, its pages and parts, and what each page links to and shows.

Used by ``tests/test_site.py`` (checks of the HTML files) and ``tests/test_browser.py``
(headless Chromium over the served site). Nothing here knows the list of chapters: pages are
the HTML files of the build, parts and their order come from the table of contents in the
sidebar of the root page.

The site read is ``_build/html`` (made by ``python3 tasks.py book``); set the environment
variable ``BOOK_HTML`` to check another build, e.g. ``BOOK_HTML=/tmp/site/_build/html``.

>>> resolve("book/intro.html", "../_static/x.css?v=1")
('_static/x.css', '')
>>> resolve("book/intro.html", "softmax.html#overview")
('book/softmax.html', 'overview')
>>> resolve("book/intro.html", "#") is None, resolve("book/a.html", "https://example.org/") is None
(True, True)
>>> is_remote("//cdn.example.org/a.js"), is_remote("../_static/a.js")
(True, False)
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import posixpath
import re
import threading
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
BUILD_HINT = (
    "run `python3 tasks.py book` first (or set BOOK_HTML to the _build/html folder of another build)"
)

# Folders of the build that hold assets, not pages.
ASSET_DIRS = ("_static", "_sources", "_images", "_downloads")
# Tags and attributes through which a page makes the browser fetch something.
FETCHING = {
    ("script", "src"), ("img", "src"), ("iframe", "src"), ("frame", "src"), ("embed", "src"),
    ("audio", "src"), ("video", "src"), ("video", "poster"), ("source", "src"), ("track", "src"),
    ("input", "src"), ("object", "data"), ("image", "href"), ("image", "xlink:href"), ("use", "href"),
}
# <link rel=...> values that only name a related page; every other <link> fetches its href.
NON_FETCHING_RELS = {"canonical", "alternate", "author", "license", "index", "search", "next", "prev",
                     "top", "up", "help", "copyright", "glossary", "bookmark", "me"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE | re.DOTALL)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def in_ci() -> bool:
    """True on a CI runner (GitHub Actions and our .ci/run set CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def site_dir() -> Path:
    env = os.environ.get("BOOK_HTML", "").strip()
    return Path(env).expanduser().resolve() if env else ROOT / "_build" / "html"


def is_remote(url: str) -> bool:
    """A URL the browser would fetch from another host (absolute http(s) or protocol-relative)."""
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//", "ftp://", "ws://", "wss://"))


def resolve(page: str, url: str) -> tuple[str, str] | None:
    """The site-relative file and #fragment that a relative URL on ``page`` points to.

    None for what is not a file of the site: other hosts, data:/mailto:/javascript: URLs
    and a bare "#".
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None
    path, fragment = unquote(parts.path), unquote(parts.fragment)
    if not path and not fragment:
        return None
    if not path:
        return page, fragment
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if path.endswith("/"):
        target = posixpath.join(target, "index.html")
    return target, fragment


@dataclass
class Ref:
    tag: str
    attr: str
    url: str
    rel: str = ""

    @property
    def fetched(self) -> bool:
        """Whether loading the page fetches this URL (scripts, styles, images; not plain links)."""
        if self.tag == "link":
            rels = set(self.rel.lower().split())
            return not rels or not rels <= NON_FETCHING_RELS
        return (self.tag, self.attr) in FETCHING


@dataclass
class Figure:
    ident: str = ""
    caption: str = ""
    alts: list[str | None] = field(default_factory=list)


@dataclass
class NavEntry:
    part: str | None
    href: str
    text: str


@dataclass
class Page:
    """What one built HTML file contains, as far as the tests need it."""

    rel: str
    title: str = ""
    redirect: str | None = None
    ids: set[str] = field(default_factory=set)
    refs: list[Ref] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    math: int = 0
    unresolved: list[str] = field(default_factory=list)
    nav: list[NavEntry] = field(default_factory=list)
    footer: str = ""
    footer_links: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    style_attrs: list[str] = field(default_factory=list)
    animations: int = 0
    solutions: int = 0
    hidden_cells: int = 0
    footnotes: int = 0
    citations: int = 0
    has_references_section: bool = False
    text: str = ""

    @property
    def docname(self) -> str:
        return self.rel[: -len(".html")]

    def targets(self) -> Iterator[tuple[Ref, str, str]]:
        """Each reference to a file of the site, with the file and fragment it resolves to."""
        for ref in self.refs:
            resolved = resolve(self.rel, ref.url)
            if resolved is not None and not ref.url.strip().lower().startswith(("data:", "blob:")):
                yield ref, *resolved


class _PageParser(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, dict[str, str | None], set[str]]] = []
        self.part: str | None = None
        self.buffers: dict[str, list[str]] = {}
        self.figure: Figure | None = None
        self.text: list[str] = []

    # -- helpers over the stack of open elements
    def inside(self, tag: str | None = None, cls: str | None = None) -> bool:
        return any((tag is None or t == tag) and (cls is None or cls in c) for t, _, c in self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        page = self.page
        if a.get("id"):
            page.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            page.ids.add(a["name"])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url=(.+)$", a.get("content") or "", re.IGNORECASE)
            page.redirect = m.group(1).strip().strip("'\"") if m else None
        for attr in ("href", "src", "data", "poster", "xlink:href"):
            if a.get(attr):
                page.refs.append(Ref(tag, attr, a[attr], a.get("rel") or ""))
        if a.get("style"):
            page.style_attrs.append(a["style"])
        if tag == "img":
            in_nav = self.inside("nav") or self.inside(cls="navbar-brand")
            page.images.append({"src": a.get("src"), "alt": a.get("alt"), "id": a.get("id"),
                                "nav": "yes" if in_nav else None,
                                "figure": "yes" if self.figure is not None else None})
            if self.figure is not None:
                self.figure.alts.append(a.get("alt"))
            if (a.get("id") or "").startswith("_anim_img"):
                page.animations += 1
        if tag == "figure":
            self.figure = Figure(ident=a.get("id") or "")
        if tag == "figcaption":
            self.buffers["figcaption"] = []
        if "math" in classes and tag in {"span", "div"}:
            page.math += 1
        if "xref" in classes and not self.inside("a") and tag != "a":
            self.buffers.setdefault("xref", [])
        if tag == "div" and {"solution", "dropdown"} <= classes:
            page.solutions += 1
        if tag == "details" and "hide" in classes:
            page.hidden_cells += 1
        if tag == "aside" and "footnote" in classes and (a.get("id") or "").startswith("footcite-"):
            page.footnotes += 1
        if "citation" in classes and a.get("role") == "doc-biblioentry":
            page.citations += 1
        if tag == "section" and a.get("id") == "references":
            page.has_references_section = True
        if self.inside("nav", "bd-docs-nav"):
            if "caption-text" in classes:
                self.buffers["caption"] = []
            if tag == "a" and self.inside("li") and a.get("href") is not None:
                self.buffers["navlink"] = []
                self.nav_href = a["href"]
        if tag == "title":
            self.buffers["title"] = []
        if tag == "footer" and "bd-footer-content" in classes:
            self.buffers["footer"] = []
        if tag not in VOID:
            self.stack.append((tag, a, classes))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            t, a, classes = self.stack.pop()
            self._close(t, a, classes)
            if t == tag:
                break

    def _close(self, tag, a, classes):
        page = self.page
        if tag == "figcaption" and self.figure is not None and "figcaption" in self.buffers:
            self.figure.caption = " ".join("".join(self.buffers.pop("figcaption")).split())
        if tag == "figure" and self.figure is not None:
            page.figures.append(self.figure)
            self.figure = None
        if "xref" in classes and "xref" in self.buffers and not self.inside("a") and tag != "a":
            page.unresolved.append(" ".join("".join(self.buffers.pop("xref")).split()))
        if "caption-text" in classes and "caption" in self.buffers:
            self.part = " ".join("".join(self.buffers.pop("caption")).split())
        if tag == "a" and "navlink" in self.buffers:
            text = " ".join("".join(self.buffers.pop("navlink")).split())
            page.nav.append(NavEntry(self.part, self.nav_href, text))
        if tag == "title" and "title" in self.buffers:
            page.title = " ".join("".join(self.buffers.pop("title")).split())
        if tag == "footer" and "bd-footer-content" in classes:
            page.footer = " ".join("".join(self.buffers.pop("footer", [])).split())

    def handle_data(self, data):
        for buf in self.buffers.values():
            buf.append(data)
        top = self.stack[-1][0] if self.stack else ""
        if top == "style":
            self.page.styles.append(data)
        if not self.inside("script") and not self.inside("style"):
            self.text.append(data)

    def close(self):
        super().close()
        self.page.text = " ".join("".join(self.text).split())
        return self.page


def parse_page(path: Path, rel: str) -> Page:
    page = Page(rel=rel)
    parser = _PageParser(page)
    html = path.read_text(encoding="utf-8", errors="replace")
    parser.feed(html)
    parser.close()
    # links in the footer, for the licence check
    footer = re.search(r'<footer class="bd-footer-content">(.*?)</footer>', html, re.DOTALL)
    if footer:
        page.footer_links = re.findall(r'href="([^"]+)"', footer.group(1))
    return page


class Site:
    """The built HTML book: its pages (parsed lazily, once) and its table of contents."""

    def __init__(self, root: Path):
        self.root = root
        self._pages: dict[str, Page] = {}

    def exists(self) -> bool:
        return (self.root / "index.html").is_file() and (self.root / "searchindex.js").is_file()

    def html_files(self) -> list[str]:
        """Every page of the site (site-relative, sorted), leaving out asset folders."""
        files = []
        for path in self.root.rglob("*.html"):
            rel = path.relative_to(self.root).as_posix()
            if rel.split("/", 1)[0] not in ASSET_DIRS:
                files.append(rel)
        return sorted(files)

    def page(self, rel: str) -> Page:
        if rel not in self._pages:
            self._pages[rel] = parse_page(self.root / rel, rel)
        return self._pages[rel]

    def pages(self) -> list[Page]:
        """Every page that is not a bare redirect."""
        return [p for p in map(self.page, self.html_files()) if p.redirect is None]

    def root_page(self) -> Page:
        index = self.page("index.html")
        if index.redirect:
            resolved = resolve("index.html", index.redirect)
            assert resolved is not None, f"index.html redirects off the site: {index.redirect}"
            return self.page(resolved[0])
        return index

    def toc(self) -> list[tuple[str | None, str]]:
        """(part caption or None, page) for the root page and every page of the sidebar, in order."""
        root = self.root_page()
        entries = [(None, root.rel)]
        for entry in root.nav:
            resolved = resolve(root.rel, entry.href)
            if resolved is not None and resolved[0] not in {rel for _, rel in entries}:
                entries.append((entry.part, resolved[0]))
        return entries

    def parts(self) -> list[tuple[str, list[str]]]:
        """Each part caption of the table of contents with its pages, in order."""
        parts: list[tuple[str, list[str]]] = []
        for part, rel in self.toc():
            if part is None:
                continue
            if not parts or parts[-1][0] != part:
                parts.append((part, []))
            parts[-1][1].append(rel)
        return parts

    def chapters(self) -> list[str]:
        """Pages of the numbered parts: their sidebar entry starts with a chapter number."""
        root = self.root_page()
        found = []
        for entry in root.nav:
            resolved = resolve(root.rel, entry.href)
            if resolved and re.match(r"^\d+(\.\d+)*\.?\s", entry.text):
                found.append(resolved[0])
        return found

    def docnames(self) -> list[str]:
        """The documents Sphinx wrote, from the search index."""
        text = (self.root / "searchindex.js").read_text(encoding="utf-8")
        data = json.loads(text[text.index("(") + 1: text.rindex(")")])
        return list(data["docnames"])

    def notebook_pages(self) -> list[str]:
        """Pages built from a notebook: their .ipynb is published under _sources/."""
        return [f"{d}.html" for d in self.docnames() if (self.root / "_sources" / f"{d}.ipynb").is_file()]

    def stylesheets(self) -> list[str]:
        """Every local stylesheet the pages load, with those they @import, site-relative."""
        todo = sorted({target for page in self.pages() for ref, target, _ in page.targets()
                       if ref.tag == "link" and "stylesheet" in ref.rel.lower().split()})
        seen: list[str] = []
        while todo:
            rel = todo.pop()
            if rel in seen or not (self.root / rel).is_file():
                continue
            seen.append(rel)
            for url in css_urls((self.root / rel).read_text(encoding="utf-8", errors="replace")):
                if url.lower().endswith(".css") or ".css?" in url.lower():
                    resolved = resolve(rel, url)
                    if resolved:
                        todo.append(resolved[0])
        return sorted(seen)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


def css_urls(css: str) -> list[str]:
    """The URLs a stylesheet fetches: url(...) values and @import targets (comments ignored)."""
    css = CSS_COMMENT.sub("", css)
    return [m.group(2) if m.group(2) is not None else m.group(4) for m in CSS_URL.finditer(css)
            if (m.group(2) if m.group(2) is not None else m.group(4))]


@functools.lru_cache(maxsize=4)
def load_site(root: str | None = None) -> Site:
    return Site(Path(root) if root else site_dir())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A browser that closes a connection early (e.g. after a 404 for /favicon.ico) is not an error."""


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a background thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="book-site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def pdf_text(data: bytes) -> str:
    """The text of a PDF that Chromium printed: each page's text, mapped through its fonts' ToUnicode maps.

    Enough for Chromium (Skia) PDFs, which show text as hex glyph strings in Type0 fonts.
    """
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.DOTALL)}

    def stream(body: bytes) -> bytes:
        m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.DOTALL)
        if not m:
            return b""
        raw = m.group(1)
        return zlib.decompress(raw) if b"FlateDecode" in body[: m.start()] else raw

    def cmap(ref: int) -> dict[bytes, str]:
        table: dict[bytes, str] = {}
        text = stream(objects.get(ref, b""))
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.DOTALL):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.DOTALL):
            for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                width, start = len(lo) // 2, int(dst, 16)
                for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    table[code.to_bytes(width, "big")] = chr(start + k) if start + k < 0x110000 else ""
        return table

    fonts: dict[int, dict[bytes, str]] = {}
    for num, body in objects.items():
        m = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if m and b"/Font" in body:
            fonts[num] = cmap(int(m.group(1)))

    out: list[str] = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page\b(?!s)", body):
            continue
        names: dict[bytes, int] = {}
        resources = body
        m = re.search(rb"/Resources (\d+) 0 R", body)
        if m:
            resources = objects.get(int(m.group(1)), b"")
        font_dict = re.search(rb"/Font\s*<<(.*?)>>", resources, re.DOTALL)
        if font_dict is None:
            m = re.search(rb"/Font (\d+) 0 R", resources)
            font_dict = re.search(rb"<<(.*)>>", objects.get(int(m.group(1)), b""), re.DOTALL) if m else None
        if font_dict:
            names = {n: int(r) for n, r in re.findall(rb"/([\w.+-]+) (\d+) 0 R", font_dict.group(1))}
        contents = re.search(rb"/Contents (\d+) 0 R", body)
        if not contents:
            continue
        content = stream(objects.get(int(contents.group(1)), b""))
        table: dict[bytes, str] = {}
        for token in re.finditer(rb"/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\b(ET|Td|TD|T\*|Tm)\b", content):
            if token.group(1):
                table = fonts.get(names.get(token.group(1), -1), {})
            elif token.group(2) is not None:
                raw = bytes.fromhex(token.group(2).decode())
                out.append("".join(table.get(raw[i: i + 2], "") for i in range(0, len(raw), 2)))
            else:
                out.append(" ")
    return " ".join("".join(out).split())


def squeeze(text: str) -> str:
    """Text without spaces, ligatures unfolded: PDF text and HTML text compare equal through it."""
    return "".join(unicodedata.normalize("NFKC", text).split())
