"""Six fixes to the built HTML pages that no ``_config.yml`` key can make.

Loaded by ``_config.yml`` as a local Sphinx extension::

    sphinx:
      local_extensions:
        book_site_fixes: tools/

Each fix removes something a reader's browser would otherwise report on every page; the
browser test (``tests/test_browser.py``) fails without them.

1. Every inline script is written once. Sphinx 7.4 writes twice an inline script that an
   extension adds after the builder has started (fixed upstream in Sphinx 8.2 by
   sphinx-doc/sphinx pull request 13402, but Jupyter Book 1 needs Sphinx 7). sphinx-thebe's
   ``const THEBE_JS_URL`` is such a script, so every page raised "Identifier 'THEBE_JS_URL'
   has already been declared".
2. The colour mode starts as "light". With no ``default_mode`` in the HTML context,
   pydata-sphinx-theme 0.17 logs "Got invalid theme mode" as a console error on a reader's
   first visit. A reader can still switch to dark or automatic mode with the theme button.
3. No placeholder repository. With Thebe switched off, sphinx-thebe still writes on every
   page a Thebe configuration naming its example Binder repository. It is dropped unless
   ``launch_buttons: thebe: true`` is set (and then the repository comes from
   ``repository: url:`` in ``_config.yml``).
4. Animations read offline. Matplotlib's ``to_jshtml()`` output links FontAwesome 4 from a
   CDN for its play/pause icons. The theme already ships FontAwesome (which draws the same
   ``fa fa-play`` icons), so the remote stylesheet link is removed from notebook outputs.
5. A single-page build for the PDF. myst-nb teaches only the ``html`` builder its node for a
   hidden code cell, so ``--builder singlehtml`` stopped on the first one. That build exists
   only to be printed (``python3 tasks.py pdf``), so there a hidden cell's hidden part is left
   out, toggle label and all, as on paper nobody can click it open; its visible output stays.
6. One setting for the book's address. A fork sets ``repository: url:`` in ``_config.yml`` and
   nothing else: the repository, issue and edit buttons and the Binder launch button (on
   mybinder.org) then appear, all pointing at that address. Without it (Jupyter Book's default
   is its own repository, a placeholder here) every one of them stays off, so no page points at
   an address that is not the book's.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes

__all__ = ["setup"]

# A <link> to a remote FontAwesome stylesheet, as matplotlib's jshtml animations write it.
REMOTE_FONTAWESOME = re.compile(
    r"""<link\b[^>]*\bhref=["']?(?:https?:)?//[^"'>\s]*font-?awesome[^"'>\s]*["']?[^>]*>\s*""",
    re.IGNORECASE,
)

# Run after the other extensions' handlers (Sphinx's default priority is 500).
LATE = 900


def _script_key(script: Any) -> tuple:
    """What makes two script entries the same script: file name (None and '' alike) and attributes."""
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def _write_each_script_once(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _start_in_light_mode(app, pagename, templatename, context, doctree) -> None:
    if not context.get("default_mode"):
        context["default_mode"] = "light"


def _thebe_on(app) -> bool:
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {}) if isinstance(options, dict) else {}
    return bool(launch and launch.get("thebe"))


def _drop_unused_thebe_config(app, doctree, docname) -> None:
    if _thebe_on(app):
        return
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "text/x-thebe-config" in text or text.strip().startswith("<script>kernelName ="):
            node.parent.remove(node)


def _drop_remote_fontawesome(app, doctree, docname) -> None:
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        if not REMOTE_FONTAWESOME.search(text):
            continue
        node.parent.replace(node, nodes.raw(node.rawsource, REMOTE_FONTAWESOME.sub("", text), **node.attributes))


PLACEHOLDER_REPOSITORY = "https://github.com/executablebooks/jupyter-book"
BINDER = "https://mybinder.org"
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")


def launch_options(options: dict) -> dict:
    """Theme options with the repository and launch buttons on exactly when a real address is set.

    >>> launch_options({"repository_url": "https://github.com/me/book", "launch_buttons": {}})["launch_buttons"]
    {'binderhub_url': 'https://mybinder.org'}
    >>> launch_options({"launch_buttons": {"binderhub_url": "https://mybinder.org"}})["launch_buttons"]
    {'binderhub_url': ''}
    """
    url = str(options.get("repository_url") or "").strip().rstrip("/")
    real = bool(url) and url != PLACEHOLDER_REPOSITORY
    launch = dict(options.get("launch_buttons") or {})
    if real:
        launch["binderhub_url"] = launch.get("binderhub_url") or BINDER
    else:
        launch["binderhub_url"] = ""
        launch.pop("colab_url", None)
    out = {**options, "launch_buttons": launch}
    for key in REPOSITORY_BUTTONS:
        out[key] = real
    return out


def _buttons_follow_the_repository(app, config) -> None:
    config.html_theme_options = launch_options(config.html_theme_options or {})


# Sphinx 7.4's search page appends whatever Search.makeSearchSummary returns to each hit, and it
# returns null when a fetched page yields no text (seen in CI as "Failed to execute 'appendChild'
# on 'Node'" under load): the hit is then listed without its summary, and no script error.
SEARCH_SUMMARY_GUARD = """
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || !Search.makeSearchSummary) return;
  const summary = Search.makeSearchSummary;
  Search.makeSearchSummary = (...args) => summary(...args) || document.createElement("p");
});
"""


def _leave_out(self, node) -> None:
    raise nodes.SkipNode


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(HideCodeCellNode, override=True, singlehtml=(_leave_out, None))
    app.add_js_file(None, body=SEARCH_SUMMARY_GUARD)
    app.connect("config-inited", _buttons_follow_the_repository, priority=LATE)
    app.connect("doctree-resolved", _drop_unused_thebe_config, priority=LATE)
    app.connect("doctree-resolved", _drop_remote_fontawesome, priority=LATE)
    app.connect("html-page-context", _start_in_light_mode, priority=LATE)
    app.connect("html-page-context", _write_each_script_once, priority=LATE)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
