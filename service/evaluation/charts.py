"""Small inline SVG charts on the unit square, so a report is one self-contained file."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from service.evaluation.metrics import ReliabilityBin

WIDTH, HEIGHT = 440, 300
LEFT, BOTTOM, TOP, RIGHT = 52, 44, 14, 14
COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5")


def _x(value: float) -> float:
    return LEFT + value * (WIDTH - LEFT - RIGHT)


def _y(value: float) -> float:
    return HEIGHT - BOTTOM - value * (HEIGHT - BOTTOM - TOP)


def _frame(body: list[str], x_label: str, y_label: str, title: str) -> str:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i in range(6):
        v = i / 5
        parts.append(f'<line x1="{_x(0)}" x2="{_x(1)}" y1="{_y(v):.1f}" y2="{_y(v):.1f}" '
                     'stroke="#e2e8f0"/>')
        parts.append(f'<text x="{_x(0) - 6}" y="{_y(v) + 4:.1f}" text-anchor="end" '
                     f'font-size="11">{v:.1f}</text>')
        parts.append(f'<text x="{_x(v):.1f}" y="{_y(0) + 16}" text-anchor="middle" '
                     f'font-size="11">{v:.1f}</text>')
    parts += body
    parts += [
        f'<rect x="{_x(0)}" y="{_y(1)}" width="{_x(1) - _x(0)}" height="{_y(0) - _y(1)}" '
        'fill="none" stroke="#4a5568"/>',
        f'<text x="{(_x(0) + _x(1)) / 2}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'font-size="12">{escape(x_label)}</text>',
        f'<text x="14" y="{(_y(0) + _y(1)) / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {(_y(0) + _y(1)) / 2})">{escape(y_label)}</text>',
        "</svg>"]
    return "\n".join(parts)


def pr_chart(points: Sequence[tuple[float, float]], operating: tuple[float, float],
             operating_label: str) -> str:
    """Precision against recall (points in threshold order), with the operating point marked."""
    path = " ".join(f"{_x(r):.1f},{_y(p):.1f}" for r, p in points)
    r, p = operating
    body = [f'<polyline points="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>',
            f'<circle cx="{_x(r):.1f}" cy="{_y(p):.1f}" r="5" fill="{COLOURS[1]}"/>',
            f'<text x="{_x(r) + 8:.1f}" y="{_y(p) - 8:.1f}" font-size="11">'
            f"{escape(operating_label)}</text>"]
    return _frame(body, "recall", "precision", "Precision-recall curve")


def reliability_chart(bins: Sequence[ReliabilityBin]) -> str:
    """Observed accuracy per score bin against the diagonal of perfect calibration."""
    body = [f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" stroke="#a0aec0" '
            'stroke-dasharray="4 4"/>']
    for b in bins:
        if b.accuracy is None:
            continue
        x0, x1 = _x(b.lower) + 1, _x(b.upper) - 1
        body.append(f'<rect x="{x0:.1f}" y="{_y(b.accuracy):.1f}" width="{x1 - x0:.1f}" '
                    f'height="{_y(0) - _y(b.accuracy):.1f}" fill="{COLOURS[0]}" opacity="0.75">'
                    f"<title>{b.lower:.1f}-{b.upper:.1f}: n={b.count}, "
                    f"accuracy {b.accuracy:.2f}</title></rect>")
        body.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{_y(b.accuracy) - 3:.1f}" '
                    f'text-anchor="middle" font-size="9">{b.count}</text>')
    return _frame(body, "score (bin)", "fraction that is gold", "Reliability diagram")


def bar_chart(groups: Sequence[tuple[str, Sequence[float]]], series: Sequence[str]) -> str:
    """Horizontal grouped bars in [0, 1], one group per row, with a legend."""
    row_height, bar = 14 * len(series) + 12, 14
    height = TOP + row_height * len(groups) + 40
    label_width, plot = 170, WIDTH + 60 - 170 - RIGHT
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 60}" height="{height}" '
             'role="img" aria-label="bar chart">']
    for g, (name, values) in enumerate(groups):
        y0 = TOP + g * row_height
        parts.append(f'<text x="{label_width - 6}" y="{y0 + row_height / 2}" text-anchor="end" '
                     f'font-size="11">{escape(name)}</text>')
        for s, value in enumerate(values):
            y = y0 + 4 + s * bar
            parts.append(f'<rect x="{label_width}" y="{y}" width="{value * plot:.1f}" '
                         f'height="{bar - 2}" fill="{COLOURS[s % len(COLOURS)]}"/>')
            parts.append(f'<text x="{label_width + value * plot + 4:.1f}" y="{y + bar - 4}" '
                         f'font-size="10">{value:.2f}</text>')
    legend_y, x = TOP + row_height * len(groups) + 20, 10
    for s, name in enumerate(series):
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
                     f'fill="{COLOURS[s % len(COLOURS)]}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}" font-size="11">{escape(name)}</text>')
        x += 36 + 7 * len(name)
    parts.append("</svg>")
    return "\n".join(parts)
