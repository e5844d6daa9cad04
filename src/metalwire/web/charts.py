"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript.

Pure: labelled values in, an SVG fragment out (``markupsafe.Markup``; every text in it is
escaped). The points are spaced evenly in the order given (market dates or contract months), so
weekends and holidays leave no gaps, as trading charts show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 12, 12, 28


@dataclass(frozen=True)
class _Frame:
    """The plot area of a chart of ``width`` x ``height`` and the value range it shows."""

    width: int
    height: int
    low: float
    high: float

    @classmethod
    def around(cls, values: Sequence[float], width: int, height: int, zero: bool) -> _Frame:
        """The range of ``values`` (with 0 when ``zero``); a flat line gets 1 either side."""
        low, high = min(values), max(values)
        if zero:
            low, high = min(low, 0.0), max(high, 0.0)
        if high == low:
            high, low = high + 1.0, low - 1.0
        return cls(width, height, low, high)

    @property
    def plot_w(self) -> int:
        return self.width - PAD_LEFT - PAD_RIGHT

    @property
    def plot_h(self) -> int:
        return self.height - PAD_TOP - PAD_BOTTOM

    def y(self, value: float) -> float:
        return PAD_TOP + self.plot_h * (self.high - value) / (self.high - self.low)

    def axes(self, title: str) -> list[str]:
        """The title, both axes and the range's two ticks (the SVG element opened by the
        caller)."""
        bottom = PAD_TOP + self.plot_h
        return [
            f"<title>{escape(title)}</title>",
            f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}"/>',
            f'<line class="axis" x1="{PAD_LEFT}" y1="{bottom}" x2="{PAD_LEFT + self.plot_w}" '
            f'y2="{bottom}"/>',
        ]

    def range_ticks(self) -> list[str]:
        return [
            f'<text class="tick" x="{PAD_LEFT - 6}" y="{self.y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(_short(value))}</text>'
            for value in (self.high, self.low)
        ]

    def end_labels(self, first: str, last: str | None) -> list[str]:
        """The first label under the left end, the last (when there are two) under the right."""
        bottom = self.height - 8
        parts = [f'<text class="tick" x="{PAD_LEFT}" y="{bottom}">{escape(first)}</text>']
        if last is not None:
            parts.append(
                f'<text class="tick" x="{PAD_LEFT + self.plot_w}" y="{bottom}" '
                f'text-anchor="end">{escape(last)}</text>'
            )
        return parts


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
    frame = _Frame.around(values, width, height, zero_line)
    plot_w = frame.plot_w

    def x(i: int) -> float:
        return PAD_LEFT + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    line = " ".join(f"{x(i):.1f},{frame.y(v):.1f}" for i, v in enumerate(values))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        *frame.axes(title),
    ]
    if zero_line:
        parts.append(
            f'<line class="zero" x1="{PAD_LEFT}" y1="{frame.y(0.0):.1f}" '
            f'x2="{PAD_LEFT + plot_w}" y2="{frame.y(0.0):.1f}"/>'
        )
    parts += frame.range_ticks()
    parts += frame.end_labels(points[0][0], points[-1][0] if len(points) > 1 else None)
    parts.append(f'<polyline class="line" points="{line}"/>')
    if len(points) <= 24:  # few points (a curve by contract month): mark each one
        parts.extend(
            f'<circle class="dot" cx="{x(i):.1f}" cy="{frame.y(v):.1f}" r="3"/>'
            for i, v in enumerate(values)
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(value: float) -> str:
    """An axis label: thousands separated, two decimals below 100."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def history_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    chart_id: str = "price-chart",
    max_points: int = 1300,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """A long daily history as ONE ``<path>`` (five years of a daily series stays light), with
    the plotted labels and values in data attributes so a small script can read them out on
    hover; without the script it is still a complete picture. Longer histories are thinned to
    the low and the high of each stretch, so a spike never disappears from the line."""
    if not points:
        return Markup("")
    shown = _thin(points, max_points)
    values = [float(value) for _, value in shown]
    frame = _Frame.around(values, width, height, zero=False)
    last = len(shown) - 1
    step = frame.plot_w / last if last else 0.0
    xs = [PAD_LEFT + step * i if last else PAD_LEFT + frame.plot_w / 2 for i in range(len(shown))]
    ys = [frame.y(v) for v in values]
    path = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in zip(xs, ys, strict=True))
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart history" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'data-left="{PAD_LEFT}" data-top="{PAD_TOP}" data-plot-width="{frame.plot_w}" '
        f'data-plot-height="{frame.plot_h}" data-low="{frame.low}" data-high="{frame.high}" '
        f'data-labels="{escape(" ".join(label for label, _ in shown))}" '
        f'data-values="{escape(" ".join(str(value) for _, value in shown))}">',
        *frame.axes(title),
        *frame.range_ticks(),
        *frame.end_labels(shown[0][0], shown[-1][0] if last else None),
    ]
    if not last:  # one day: a path of one point draws nothing
        parts.append(f'<circle class="dot" cx="{xs[0]:.1f}" cy="{ys[0]:.1f}" r="3"/>')
    parts += [
        f'<path class="line" d="{path}"/>',
        # Moved by the hover script; hidden until then.
        f'<line class="cursor" x1="0" y1="{PAD_TOP}" x2="0" y2="{PAD_TOP + frame.plot_h}" '
        'visibility="hidden"/>',
        '<circle class="marker" cx="0" cy="0" r="3.5" visibility="hidden"/>',
        "</svg>",
    ]
    return Markup("".join(parts))


def empty_frame(title: str, note: str, *, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """A chart's frame with nothing plotted: the axes and ``note`` where the line would be.

    What a paywall shows instead of a history: even a shape without its numbers tells the
    moves a reader pays for (a rise, a fall, a spike), so no point of the series is drawn."""
    frame = _Frame(width, height, 0.0, 1.0)
    middle_x = PAD_LEFT + frame.plot_w / 2
    middle_y = PAD_TOP + frame.plot_h / 2
    parts = [
        f'<svg class="chart history locked" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        *frame.axes(title),
        f'<text class="tick" x="{middle_x:.1f}" y="{middle_y:.1f}" '
        f'text-anchor="middle">{escape(note)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))


def _thin(points: Sequence[tuple[str, Decimal]], limit: int) -> Sequence[tuple[str, Decimal]]:
    """At most ``limit`` points: each stretch of the history keeps its low and its high, in date
    order (a plain stride would drop the very spikes a reader looks for)."""
    if len(points) <= limit or limit < 2:
        return points
    stretches = limit // 2
    size = len(points) / stretches
    out: list[tuple[str, Decimal]] = []
    for k in range(stretches):
        chunk = points[int(k * size) : int((k + 1) * size)]
        if not chunk:
            continue
        values = [value for _, value in chunk]
        lo, hi = values.index(min(values)), values.index(max(values))
        out.extend(chunk[i] for i in sorted({lo, hi}))
    return out


def bar_chart(
    bars: Sequence[tuple[str, Decimal, str]],
    *,
    title: str,
    width: int = WIDTH,
    label_width: int = 190,
    bar_height: int = 24,
) -> Markup:
    """Horizontal bars of ``(label, value, shown value)`` in the order given (a breakdown,
    largest first): the label on the left, the bar from zero, and the value as the caller
    formatted it (in the reader's locale) after the bar's end. Negative values run left of
    the zero line, so a breakdown of changes reads as well as one of volumes."""
    if not bars:
        return Markup("")
    values = [float(value) for _, value, _ in bars]
    low, high = min(0.0, *values), max(0.0, *values)
    if high == low:
        high = low + 1.0
    value_room = 96  # the printed value after the longest bar
    plot_w = width - label_width - value_room - PAD_RIGHT
    height = 2 * PAD_TOP + bar_height * len(bars)

    def x(value: float) -> float:
        return label_width + plot_w * (value - low) / (high - low)

    zero = x(0.0)
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, ((label, _, shown), value) in enumerate(zip(bars, values, strict=True)):
        top = PAD_TOP + i * bar_height
        baseline = top + bar_height / 2 + 4
        end = x(value)
        parts += [
            f'<text class="tick label" x="{label_width - 8}" y="{baseline:.1f}" '
            f'text-anchor="end">{escape(label)}</text>',
            f'<rect class="bar{" negative" if value < 0 else ""}" x="{min(zero, end):.1f}" '
            f'y="{top + 4}" width="{abs(end - zero):.1f}" height="{bar_height - 8}"/>',
            f'<text class="tick value" x="{max(zero, end) + 6:.1f}" '
            f'y="{baseline:.1f}">{escape(shown)}</text>',
        ]
    parts += [
        f'<line class="axis" x1="{zero:.1f}" y1="{PAD_TOP}" x2="{zero:.1f}" '
        f'y2="{height - PAD_TOP}"/>',
        "</svg>",
    ]
    return Markup("".join(parts))
