"""Charts for the e-mail briefing, drawn server-side as PNG (matplotlib, Agg canvas).

`Figure` objects are used directly (no pyplot), so nothing global is configured and charts can be
drawn from worker threads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from agent.briefing.state import Candidate, Series

WIDTH_IN, HEIGHT_IN, DPI = 6.0, 2.4, 100
INK, ACCENT, MUTED = "#1f2937", "#2563eb", "#9ca3af"


@dataclass(frozen=True)
class Chart:
    cid: str
    title: str
    alt: str
    png: bytes


def _axis_formatter(unit: str) -> FuncFormatter:
    def fmt(value: float, _pos: int) -> str:
        if unit == "USD":
            return f"${value / 1000:,.0f}k" if abs(value) >= 1000 else f"${value:,.0f}"
        if unit == "percent":
            return f"{value * 100:.0f}%"
        return f"{value:,.0f}"

    return FuncFormatter(fmt)


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()  # one Axes (typed, where subplots() returns Any)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(colors=INK, labelsize=8)
    return fig, ax


# Margins of the series charts (fractions of the figure): their tick labels are short ("$40k",
# "03-14"), so fixed margins fit, where `tight_layout` draws the figure twice (measured 0.19 s
# → 0.11 s per chart; a briefing has one or two).
SERIES_MARGINS = {"left": 0.1, "right": 0.98, "top": 0.88, "bottom": 0.14}


def _png(fig: Figure, *, tight: bool = True) -> bytes:
    if tight:
        fig.tight_layout()
    else:
        fig.subplots_adjust(**SERIES_MARGINS)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def series_chart(series: Series, cid: str) -> Chart:
    """A line (or bar) chart of one series; x labels thinned to about eight ticks."""
    fig, ax = _figure()
    labels = [label for label, _ in series.points]
    values = [value for _, value in series.points]
    positions = list(range(len(values)))
    if series.kind == "bar":
        ax.bar(positions, values, color=ACCENT)
    else:
        ax.plot(positions, values, color=ACCENT, linewidth=1.6)
    step = max(1, len(labels) // 8)
    ax.set_xticks(positions[::step])
    ax.set_xticklabels([label[5:] if len(label) == 10 else label for label in labels[::step]])
    ax.yaxis.set_major_formatter(_axis_formatter(series.unit))
    ax.set_title(series.label, fontsize=10, color=INK, loc="left")
    return Chart(cid=cid, title=series.label, alt=series.label, png=_png(fig, tight=False))


def dollars_chart(points: list[Candidate], cid: str) -> Chart:
    """Horizontal bars: the dollars attached to each point, largest first."""
    fig, ax = _figure()
    titles = [p.title if len(p.title) <= 38 else p.title[:37] + "…" for p in points][::-1]
    values = [abs(p.dollars) for p in points][::-1]
    ax.barh(range(len(values)), values, color=ACCENT)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(titles, fontsize=7)
    ax.xaxis.set_major_formatter(_axis_formatter("USD"))
    title = "Dollars behind each point"
    ax.set_title(title, fontsize=10, color=INK, loc="left")
    return Chart(cid=cid, title=title, alt=title, png=_png(fig))
