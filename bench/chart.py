"""The SVG chart `make bench` writes beside its results: requests per second per scenario, and
latency percentiles (p50, p90, p99) per scenario. Plain SVG text: no plotting library needed."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

ROW = 26  # pixels per scenario
LABEL = 290  # width of the scenario names
BAR = 420  # width of the longest bar
PERCENTILES = (("p50_ms", "#4a7ab5"), ("p90_ms", "#e0a030"), ("p99_ms", "#c0392b"))


def _panel(
    title: str, top: int, rows: list[tuple[str, list[tuple[float, str]]]], unit: str
) -> tuple[list[str], int]:
    """One horizontal bar panel; each row has one bar per (value, colour), stacked thin."""
    largest = max((value for _, bars in rows for value, _ in bars), default=1) or 1
    out = [f'<text x="10" y="{top + 16}" font-weight="bold">{escape(title)}</text>']
    y = top + 30
    for name, bars in rows:
        out.append(f'<text x="10" y="{y + 15}">{escape(name)}</text>')
        height = (ROW - 6) / len(bars)
        for index, (value, colour) in enumerate(bars):
            width = max(1.0, BAR * value / largest)
            bar_y = y + index * height
            out.append(
                f'<rect x="{LABEL}" y="{bar_y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{colour}"/>'
            )
            out.append(
                f'<text x="{LABEL + width + 4:.1f}" y="{bar_y + height - 1:.1f}" '
                f'font-size="{min(11, height + 2):.0f}">{value:,.1f} {unit}</text>'
            )
        y += ROW
    return out, y + 10


def write_chart(path: Path, scenarios: dict[str, dict[str, Any]]) -> None:
    rps_rows = [(name, [(row["rps"], "#2e7d5b")]) for name, row in scenarios.items()]
    latency_rows = [
        (name, [(row[key], colour) for key, colour in PERCENTILES])
        for name, row in scenarios.items()
    ]
    first, y = _panel("Throughput (requests per second)", 0, rps_rows, "req/s")
    second, y = _panel(
        "Latency percentiles: p50 (blue), p90 (orange), p99 (red)", y, latency_rows, "ms"
    )
    width = LABEL + BAR + 110
    body = "\n".join([*first, *second])
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
        f'font-family="sans-serif" font-size="12">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
    )
