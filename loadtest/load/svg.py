"""Inline SVG charts with no script and nothing fetched: line charts and grouped bars.

Every plotted series is a `<path class="series">` (lines) or `<rect class="bar">`
(bars) with a `data-series` attribute naming it, so a test can find what was drawn
in the DOM as well as in a screenshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 760
HEIGHT = 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 150, 30, 44


@dataclass(frozen=True, slots=True)
class Series:
    """A named line; a None value leaves a gap."""

    name: str
    colour: str
    points: tuple[tuple[float, float | None], ...]
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Bars:
    """One group of bars (e.g. a system), a value per series name."""

    label: str
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class _Axis:
    low: float
    high: float
    log: bool
    start: float
    length: float

    def at(self, value: float) -> float:
        if self.log:
            value, low, high = (math.log10(max(v, 1e-9)) for v in (value, self.low, self.high))
        else:
            low, high = self.low, self.high
        span = (high - low) or 1.0
        return self.start + (value - low) / span * self.length


def line_chart(
    title: str, series: Sequence[Series], x_label: str, y_label: str, log_y: bool = False
) -> str:
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points if y is not None and (y > 0 or not log_y)]
    if not xs or not ys:
        return _empty(title, "no data")
    x = _Axis(min(xs), max(xs), False, _LEFT, WIDTH - _LEFT - _RIGHT)
    y = _y_axis(ys, log_y)
    paths = [_path(s, x, y) for s in series]
    return _frame(
        title, x_label, y_label, x, y, "".join(paths), [(s.name, s.colour) for s in series]
    )


def bar_chart(title: str, groups: Sequence[Bars], colours: dict[str, str], y_label: str) -> str:
    values = [v for g in groups for _, v in g.values]
    if not values:
        return _empty(title, "no data")
    y = _y_axis([*values, 0.0], False)
    plot_width = WIDTH - _LEFT - _RIGHT
    slot = plot_width / len(groups)
    parts: list[str] = []
    for i, group in enumerate(groups):
        bar = slot * 0.8 / max(1, len(group.values))
        for j, (name, value) in enumerate(group.values):
            left = _LEFT + i * slot + slot * 0.1 + j * bar
            top = y.at(value)
            parts.append(
                f'<rect class="bar" data-series="{escape(name)}" x="{left:.1f}" y="{top:.1f}" '
                f'width="{bar * 0.9:.1f}" height="{max(0.0, y.at(y.low) - top):.1f}" '
                f'fill="{colours[name]}"><title>{escape(group.label)} {escape(name)}: '
                f"{value:g}</title></rect>"
            )
        centre = _LEFT + (i + 0.5) * slot
        parts.append(
            f'<text x="{centre:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle">'
            f"{escape(group.label)}</text>"
        )
    legend = list(colours.items())
    return _frame(title, "", y_label, None, y, "".join(parts), legend)


def _y_axis(values: Sequence[float], log: bool) -> _Axis:
    low, high = min(values), max(values)
    if log:
        low = 10 ** math.floor(math.log10(max(low, 1e-3)))
        high = 10 ** math.ceil(math.log10(max(high, low * 10)))
    else:
        low, high = min(0.0, low), _nice_ceiling(high)
    return _Axis(low, high, log, HEIGHT - _BOTTOM, -(HEIGHT - _TOP - _BOTTOM))


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def _ticks(axis: _Axis) -> list[float]:
    if axis.log:
        decades = range(round(math.log10(axis.low)), round(math.log10(axis.high)) + 1)
        return [m * 10**d for d in decades for m in (1, 2, 5) if m * 10**d <= axis.high]
    step = _nice_ceiling((axis.high - axis.low) / 5)
    count = int((axis.high - axis.low) / step + 1e-9)
    return [axis.low + i * step for i in range(count + 1)]


def _path(series: Series, x: _Axis, y: _Axis) -> str:
    commands: list[str] = []
    pen_down = False
    for px, py in series.points:
        if py is None or (y.log and py <= 0):
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{x.at(px):.1f},{y.at(py):.1f}")
        pen_down = True
    dash = ' stroke-dasharray="6 4"' if series.dashed else ""
    return (
        f'<path class="series" data-series="{escape(series.name)}" d="{" ".join(commands)}" '
        f'fill="none" stroke="{series.colour}" stroke-width="2"{dash}/>'
    )


def _frame(
    title: str,
    x_label: str,
    y_label: str,
    x: _Axis | None,
    y: _Axis,
    body: str,
    legend: Sequence[tuple[str, str]],
) -> str:
    grid = [_y_tick(y, value) for value in _ticks(y)]
    if x is not None:
        grid.extend(_x_tick(x, value) for value in _ticks(x))
    right = WIDTH - _RIGHT
    keys = "".join(
        f'<rect x="{right + 14}" y="{_TOP + 18 * i}" width="14" height="4" fill="{colour}"/>'
        f'<text x="{right + 34}" y="{_TOP + 18 * i + 6}">{escape(name)}</text>'
        for i, (name, colour) in enumerate(legend)
    )
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<text class="title" x="{_LEFT}" y="18">{escape(title)}</text>'
        f"{''.join(grid)}"
        f'<line class="axis" x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{right}" '
        f'y2="{HEIGHT - _BOTTOM}"/>'
        f"{body}{keys}"
        f'<text x="{(_LEFT + right) / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="14" y="{(HEIGHT - _BOTTOM + _TOP) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(HEIGHT - _BOTTOM + _TOP) / 2})">{escape(y_label)}</text>'
        "</svg>"
    )


def _y_tick(y: _Axis, value: float) -> str:
    at = y.at(value)
    return (
        f'<line class="grid" x1="{_LEFT}" y1="{at:.1f}" x2="{WIDTH - _RIGHT}" y2="{at:.1f}"/>'
        f'<text x="{_LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">{value:g}</text>'
    )


def _x_tick(x: _Axis, value: float) -> str:
    at = x.at(value)
    return f'<text x="{at:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle">{value:g}</text>'


def _empty(title: str, message: str) -> str:
    return (
        f'<svg class="chart empty" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="60" viewBox="0 0 {WIDTH} 60"><text class="title" x="{_LEFT}" y="18">'
        f'{escape(title)}</text><text x="{_LEFT}" y="44">{escape(message)}</text></svg>'
    )
