"""The book's single matplotlib style, and small helpers every chapter's figures share.

Importing this module imports matplotlib; ``import companion`` alone does not.
The colour cycle is the Okabe-Ito palette, which stays distinguishable for
readers with the common forms of colour-vision deficiency.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["STYLE_FILE", "COLORS", "use_book_style", "bar_chart", "simplex_xy", "draw_simplex"]

STYLE_FILE = Path(__file__).with_name("book.mplstyle")
"""Path of the style sheet that every figure in the book uses."""

COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""The Okabe-Ito colours, in the order of the style's colour cycle."""

SIMPLEX_CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
"""Corners of the probability triangle: the one-hot vectors of classes 1, 2 and 3."""


def use_book_style() -> None:
    """Apply the book's style to every figure made after this call.

    Examples
    --------
    >>> from companion.plotting import use_book_style
    >>> use_book_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["font.family"]
    ['DejaVu Sans']
    """
    mpl.rcdefaults()
    plt.style.use(STYLE_FILE)


def bar_chart(ax, labels, heights, *, series=None, title=None, ylim=None, value_format=None, colors=None):
    """Bars of `heights` over `labels`: scores, a probability vector, a one-hot vector.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    labels : sequence of str
        One label per bar (the classes).
    heights : array_like
        Shape ``(n,)`` for one set of bars, or ``(k, n)`` for ``k`` sets side by side.
    series : sequence of str, optional
        Legend names of the ``k`` sets (required when `heights` is 2-D).
    title : str, optional
        Title of the axes.
    ylim : tuple of float, optional
        Limits of the vertical axis, e.g. ``(0, 1)`` for probabilities.
    value_format : str, optional
        Format of a number printed above each bar, e.g. ``"{:.3f}"`` (one set only).
    colors : sequence of str, optional
        One colour per set; default: the style's colour cycle.

    Returns
    -------
    list of matplotlib.container.BarContainer
        One per set of bars (for an animation that changes their heights).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from companion.plotting import bar_chart
    >>> fig, ax = plt.subplots()
    >>> bars = bar_chart(ax, ["a", "b"], [[0.2, 0.8], [0.5, 0.5]], series=["T = 1", "T = 10"], ylim=(0, 1))
    >>> len(bars), len(bars[0])
    (2, 2)
    >>> plt.close(fig)
    """
    rows = np.atleast_2d(np.asarray(heights, dtype=float))
    k, n = rows.shape
    if k > 1 and (series is None or len(series) != k):
        raise ValueError(f"name each of the {k} sets of bars with `series`")
    width = 0.8 / k
    pos = np.arange(n)
    bars = []
    for j, row in enumerate(rows):
        color = colors[j] if colors is not None else f"C{j}"
        label = series[j] if series is not None else None
        bars.append(ax.bar(pos + (j - (k - 1) / 2) * width, row, width, color=color, label=label))
    ax.set_xticks(pos, list(labels))
    if value_format is not None and k == 1:
        top = ylim[1] if ylim else rows.max()
        for i, h in enumerate(rows[0]):
            ax.text(i, h + 0.02 * top, value_format.format(h), ha="center", va="bottom", fontsize=9)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if title is not None:
        ax.set_title(title)
    if series is not None:
        ax.legend()
    return bars


def simplex_xy(p):
    """Points of the plane for probability vectors `p` on three classes, shape ``(..., 3) -> (..., 2)``.

    The point is ``p_1 V_1 + p_2 V_2 + p_3 V_3`` for the corners ``V_i`` of an equilateral
    triangle (barycentric coordinates): a one-hot vector is a corner, the uniform
    distribution the centre.

    Examples
    --------
    >>> from companion.plotting import simplex_xy
    >>> simplex_xy([1 / 3, 1 / 3, 1 / 3]).round(4)
    array([0.5   , 0.2887])
    """
    return np.asarray(p, dtype=float) @ SIMPLEX_CORNERS


def draw_simplex(ax, labels=("class 1", "class 2", "class 3")):
    """Draw the probability triangle (outline, corner labels, equal aspect, no axes) on `ax`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from companion.plotting import draw_simplex
    >>> fig, ax = plt.subplots()
    >>> draw_simplex(ax)
    >>> [t.get_text() for t in ax.texts]
    ['class 1', 'class 2', 'class 3']
    >>> plt.close(fig)
    """
    ax.plot(*np.vstack([SIMPLEX_CORNERS, SIMPLEX_CORNERS[:1]]).T, color="black", lw=1.2)
    for k, (cx, cy) in enumerate(SIMPLEX_CORNERS):
        ax.annotate(labels[k], (cx, cy), ha="center", xytext=(0, 8 if k == 2 else -14), textcoords="offset points")
    ax.set_aspect("equal")
    ax.axis("off")
