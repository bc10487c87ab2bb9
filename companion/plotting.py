"""The book's single matplotlib style, and small helpers every chapter's figures share.

Importing this module imports matplotlib; ``import companion`` alone does not.
The colour cycle is the Okabe-Ito palette, which stays distinguishable for
readers with the common forms of colour-vision deficiency.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

__all__ = ["STYLE_FILE", "COLORS", "use_book_style"]

STYLE_FILE = Path(__file__).with_name("book.mplstyle")
"""Path of the style sheet that every figure in the book uses."""

COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""The Okabe-Ito colours, in the order of the style's colour cycle."""


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
