"""The trends as one PNG (matplotlib's Agg canvas: no display, no pyplot state, safe in a worker thread).

Six panels: decisions per day by action, labels fired, the queue's median time to resolution per day,
the channels with most actions, the share of queue verdicts that were false positives per day, and
the window's totals. Blocking (rendering takes a moment): call it off the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from bot.reports.trends import Trends

COLOURS = {
    "log": "#6baed6",
    "warn": "#f2b134",
    "queue": "#9e7bb5",
    "delete": "#e4572e",
    "timeout": "#a4161a",
}
FIGURE_INCHES = (13.0, 9.5)
DPI = 100


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def _empty(axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", color="#777777", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def render_png(trends: Trends, *, title: str, channel_names: Mapping[int, str] | None = None) -> bytes:
    """The chart of ``trends`` as PNG bytes; ``channel_names`` labels channels (else ``#<id>``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib is slow to import
    from matplotlib.figure import Figure

    names = channel_names or {}
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=14, fontweight="bold")
    grid = figure.subplots(3, 2)
    labels = [day.strftime("%m-%d") for day in trends.days]
    positions = list(range(len(labels)))
    step = max(1, len(labels) // 10)

    def day_axis(axes) -> None:
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right", fontsize=8)

    decisions = grid[0][0]
    decisions.set_title("Decisions per day, by action")
    if trends.acted:
        bottom = [0] * len(labels)
        for action, counts in trends.decisions.items():
            if any(counts):
                decisions.bar(positions, counts, bottom=bottom, label=action, color=COLOURS.get(action))
                bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        decisions.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        day_axis(decisions)
    else:
        _empty(decisions, "no decisions with an action")

    fired = grid[0][1]
    fired.set_title("Labels fired")
    if trends.labels:
        names_fired = [label.replace("_", " ") for label in trends.labels]
        fired.barh(names_fired, list(trends.labels.values()), color="#7a8aa6")
        fired.invert_yaxis()
    else:
        _empty(fired, "no label fired")

    resolution = grid[1][0]
    resolution.set_title(
        f"Queue: median time to resolution (overall {_hours(trends.median_resolution_hours)}, "
        f"{trends.resolved} resolved)"
    )
    if trends.resolved:
        hours = [value if value is not None else 0.0 for value in trends.resolution_hours]
        resolution.bar(positions, hours, color="#4c956c")
        resolution.set_ylabel("hours")
        day_axis(resolution)
    else:
        _empty(resolution, "no queue entry resolved")

    channels = grid[1][1]
    channels.set_title("Channels with most actions")
    if trends.channels:
        shown = [f"#{names.get(channel, channel)}" for channel, _ in trends.channels]
        channels.barh(shown, [count for _, count in trends.channels], color="#f2b134")
        channels.invert_yaxis()
    else:
        _empty(channels, "no actions")

    share = grid[2][0]
    overall = trends.false_positive_share
    share.set_title(
        "Queue verdicts: share approved as false positives"
        + (f" (overall {overall:.0%} of {sum(trends.verdicts)})" if overall is not None else "")
    )
    if overall is not None:
        shares = [a / d * 100 if d else 0.0 for a, d in zip(trends.approved, trends.verdicts, strict=True)]
        share.bar(positions, shares, color="#e4572e")
        share.set_ylim(0, 100)
        share.set_ylabel("% approved")
        day_axis(share)
    else:
        _empty(share, "no queue verdicts yet")

    totals = grid[2][1]
    totals.axis("off")
    lines = [
        f"{len(trends.days)} days: {trends.days[0].isoformat()} to {trends.days[-1].isoformat()} (UTC)",
        f"{trends.scored} messages scored, {trends.acted} with an action",
        *(f"  {action}: {sum(counts)}" for action, counts in trends.decisions.items() if any(counts)),
        f"{sum(trends.verdicts)} queue verdicts, {sum(trends.approved)} approved (false positives)",
        f"median time to resolution: {_hours(trends.median_resolution_hours)}",
    ]
    totals.text(0.02, 0.95, "\n".join(lines), va="top", family="monospace", fontsize=10)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
