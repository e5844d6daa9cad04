"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript.

Pure: labelled values in, an SVG fragment out (``markupsafe.Markup``; every text in it is
escaped). The points are spaced evenly in the order given (market dates or contract months), so
weekends and holidays leave no gaps, as trading charts show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 12, 12, 28


def line_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    zero_line: bool = False,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """A polyline of ``(label, value)`` with the range on the y axis and the first and last
    labels on the x axis; ``zero_line`` draws y = 0 when it is in range (profit and loss)."""
    if not points:
        return Markup("")
    values = [float(value) for _, value in points]
    low, high = min(values), max(values)
    if zero_line:
        low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high, low = high + 1.0, low - 1.0
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM

    def x(i: int) -> float:
        return PAD_LEFT + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return PAD_TOP + plot_h * (high - value) / (high - low)

    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" '
        f'y2="{PAD_TOP + plot_h}"/>',
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{PAD_LEFT + plot_w}" '
        f'y2="{PAD_TOP + plot_h}"/>',
    ]
    if zero_line:
        parts.append(
            f'<line class="zero" x1="{PAD_LEFT}" y1="{y(0.0):.1f}" x2="{PAD_LEFT + plot_w}" '
            f'y2="{y(0.0):.1f}"/>'
        )
    for value in (high, low):
        parts.append(
            f'<text class="tick" x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(_short(value))}</text>'
        )
    first, last = points[0][0], points[-1][0]
    bottom = height - 8
    parts.append(f'<text class="tick" x="{PAD_LEFT}" y="{bottom}">{escape(first)}</text>')
    if len(points) > 1:
        parts.append(
            f'<text class="tick" x="{PAD_LEFT + plot_w}" y="{bottom}" '
            f'text-anchor="end">{escape(last)}</text>'
        )
    parts.append(f'<polyline class="line" points="{line}"/>')
    if len(points) <= 24:  # few points (a curve by contract month): mark each one
        parts.extend(
            f'<circle class="dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3"/>'
            for i, v in enumerate(values)
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(value: float) -> str:
    """An axis label: thousands separated, two decimals below 100."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"
