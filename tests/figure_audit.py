"""Checks that a matplotlib figure is readable: every drawn text lies inside the figure, and no two drawn texts
overlap. Used by tests/integration/test_figures.py on every figure the package writes.

Only texts that are actually drawn count (tick labels outside the view, empty or hidden texts are never drawn),
so the check records them while the figure draws, by wrapping ``Text.draw``."""

from __future__ import annotations

import contextlib

from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

TOLERANCE_PX = 1.0  # rounding of text extents


@contextlib.contextmanager
def _recording(drawn: list):
    original = Text.draw

    def draw(self, renderer):
        result = original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))
        return result

    Text.draw = draw
    try:
        yield
    finally:
        Text.draw = original


def drawn_texts(fig) -> list:
    """(text artist, window extent in pixels) of every text drawn on the figure."""
    if type(fig.canvas) is FigureCanvasBase:  # a bare Figure(): give it a canvas that renders
        FigureCanvasAgg(fig)
    drawn: list = []
    with _recording(drawn):
        fig.canvas.draw()
    return drawn


def text_problems(fig) -> list[str]:
    """One line per text outside the figure and per pair of overlapping texts; empty when the figure is readable."""
    problems = []
    box = fig.bbox
    texts = drawn_texts(fig)
    for text, ext in texts:
        if (ext.x0 < box.x0 - TOLERANCE_PX or ext.y0 < box.y0 - TOLERANCE_PX or ext.x1 > box.x1 + TOLERANCE_PX
                or ext.y1 > box.y1 + TOLERANCE_PX):
            problems.append(f"clipped: {text.get_text()!r} at {ext.bounds} outside the figure {box.bounds}")
    for i, (a, ea) in enumerate(texts):
        for b, eb in texts[i + 1:]:
            overlap_x = min(ea.x1, eb.x1) - max(ea.x0, eb.x0)
            overlap_y = min(ea.y1, eb.y1) - max(ea.y0, eb.y0)
            if overlap_x > TOLERANCE_PX and overlap_y > TOLERANCE_PX:
                problems.append(f"overlap: {a.get_text()!r} and {b.get_text()!r}")
    return problems
