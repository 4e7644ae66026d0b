"""``warden replay --html``: one self-contained page a person would rather read than a table.

The page holds everything it shows: the counts per action, a score histogram per label (inline SVG,
the policy's threshold drawn on it), and every acted-on message with its evidence in ``<mark>``,
filterable by action and label. No external script, font, style or image; a Content-Security-Policy
forbids loading any. Member text is HTML-escaped. The filters also read the page's query string
(``report.html?action=warn&label=insult``), so a filtered view can be linked (and tested headless).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.explain.occlusion import Evidence
from bot.policy.decision import Action
from bot.policy.settings import PolicySettings
from bot.replay.engine import ReplayResult, ReplayRow
from bot.scoring.base import LABELS

BINS = 20
"""Histogram bars per label (0.05 wide)."""
SHOWN_CHARS = 1000
"""Longest message text shown (the rest is cut with an ellipsis)."""
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;
background:#f6f7f9}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:#5b6475;margin:0 0 18px}.counts{display:flex;gap:10px;flex-wrap:wrap}
.count{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:8px 14px;min-width:70px}
.count b{display:block;font-size:20px}.count span{color:#5b6475;font-size:13px}
.hists{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px}
figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:10px;fill:#5b6475}
.filters{display:flex;gap:16px;align-items:center;margin-bottom:10px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}
th,td{text-align:left;padding:7px 9px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#eef0f4;font-size:13px}td.msg{max-width:560px;white-space:pre-wrap;word-break:break-word}
mark{background:#ffe08a;border-radius:3px;padding:0 2px}.ev{font-size:13px;color:#3b4353}
.act{font-weight:600;border-radius:4px;padding:1px 6px;font-size:13px}
.a-log{background:#e3f2fd}.a-warn{background:#fff3cd}.a-queue{background:#f3e5f5}
.a-delete{background:#fde2e1}.a-timeout{background:#f8c9c6}tr[hidden]{display:none}
"""

_SCRIPT = """
(function () {
  var action = document.getElementById('action-filter');
  var label = document.getElementById('label-filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#messages tbody tr'));
  var shown = document.getElementById('shown');
  function apply() {
    var n = 0;
    rows.forEach(function (row) {
      var ok = (!action.value || row.dataset.action === action.value) &&
        (!label.value || row.dataset.labels.split(' ').indexOf(label.value) >= 0);
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' messages shown';
    document.body.dataset.shown = String(n);
  }
  var query = new URLSearchParams(window.location.search);
  [[action, 'action'], [label, 'label']].forEach(function (pair) {
    var wanted = query.get(pair[1]);
    if (wanted && Array.prototype.some.call(pair[0].options, function (o) { return o.value === wanted; })) {
      pair[0].value = wanted;
    }
    pair[0].addEventListener('change', apply);
  });
  apply();
  document.body.dataset.ready = 'yes';
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _spans(text: str, evidence: Sequence[Evidence]) -> list[tuple[int, int]]:
    """Where the evidence words occur in ``text`` (whole words, any case, any spacing), merged."""
    found: list[tuple[int, int]] = []
    for phrase in {item.text for item in evidence}:
        parts = phrase.split()
        if not parts:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(part) for part in parts) + r"(?!\w)"
        found.extend(match.span() for match in re.finditer(pattern, text, flags=re.IGNORECASE))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, evidence: Sequence[Evidence]) -> str:
    """``text`` HTML-escaped, each evidence word in ``<mark>`` (cut to :data:`SHOWN_CHARS`)."""
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    out: list[str] = []
    position = 0
    for start, end in _spans(text, evidence):
        out.append(_e(text[position:start]))
        out.append(f"<mark>{_e(text[start:end])}</mark>")
        position = end
    out.append(_e(text[position:]))
    return "".join(out)


def histogram_svg(values: Sequence[float], threshold: float, *, label: str) -> str:
    """A bar chart of ``values`` in :data:`BINS` bins over [0, 1], the threshold as a dashed line."""
    width, height, bottom = 280, 110, 16
    counts = [0] * BINS
    for value in values:
        counts[min(BINS - 1, int(value * BINS))] += 1
    top = max(counts) or 1
    bar = width / BINS
    bars = []
    for index, count in enumerate(counts):
        tall = (height - bottom - 12) * count / top
        x, y = index * bar, height - bottom - tall
        bars.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{tall:.1f}" '
            f'fill="{"#d9534f" if (index + 1) / BINS > threshold else "#7a8aa6"}">'
            f"<title>{index / BINS:.2f}-{(index + 1) / BINS:.2f}: {count}</title></rect>"
        )
    line_x = threshold * width
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_e(label)} score histogram" data-label="{_e(label)}">'
        + "".join(bars)
        + f'<line x1="{line_x:.1f}" x2="{line_x:.1f}" y1="4" y2="{height - bottom}" stroke="#1d2330" '
        'stroke-dasharray="3 2"/>'
        + (
            f'<text x="{line_x - 3:.1f}" y="12" text-anchor="end">threshold {threshold:.2f}</text>'
            if line_x > width * 0.7
            else f'<text x="{line_x + 3:.1f}" y="12">threshold {threshold:.2f}</text>'
        )
        + f'<text x="0" y="{height - 3}">0</text><text x="{width - 8}" y="{height - 3}">1</text>'
        + f'<text x="{width / 2 - 30}" y="{height - 3}">max {top} per bar</text></svg>'
    )


def evidence_html(evidence: Sequence[Evidence]) -> str:
    """One line per word, heaviest first: ``<mark>moron</mark> insult 0.73, toxicity 0.69``."""
    grouped: dict[str, list[Evidence]] = {}
    for item in sorted(evidence, key=lambda item: -item.weight):
        grouped.setdefault(item.text.casefold(), []).append(item)
    return "<br>".join(
        f"<mark>{_e(items[0].text)}</mark> "
        + ", ".join(f"{_e(item.label.replace('_', ' '))} {item.weight:.2f}" for item in items)
        for items in grouped.values()
    )


def _row(row: ReplayRow) -> str:
    evidence = evidence_html(row.evidence)
    action = row.decision.action.value
    return (
        f'<tr data-action="{_e(action)}" data-labels="{_e(" ".join(row.decision.labels))}">'
        f"<td>{row.line}</td><td>{_e(row.author or '-')}</td>"
        f'<td><span class="act a-{_e(action)}">{_e(action)}</span></td>'
        f"<td>{_e(', '.join(row.decision.labels))}</td>"
        f'<td class="msg">{marked(row.content, row.evidence)}</td>'
        f'<td class="ev">{evidence or "-"}</td></tr>'
    )


def _options(values: Sequence[str], everything: str) -> str:
    return f'<option value="">{_e(everything)}</option>' + "".join(
        f'<option value="{_e(value)}">{_e(value)}</option>' for value in values
    )


def render_report(
    result: ReplayResult, policy: PolicySettings, *, source: str, now: datetime | None = None
) -> str:
    """The whole page for ``result`` (replayed from ``source``) under ``policy``."""
    acted = [row for row in result.rows if row.decision.action is not Action.NONE]
    counts = Counter(row.decision.action.value for row in result.rows)
    fired = sorted({label for row in acted for label in row.decision.labels}, key=LABELS.index)
    actions = [action.value for action in Action if action is not Action.NONE and counts.get(action.value)]
    made = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    count_boxes = "".join(
        f'<div class="count" data-action="{action.value}"><b>{counts.get(action.value, 0)}</b>'
        f"<span>{action.value}</span></div>"
        for action in Action
    )
    figures = "".join(
        f"<figure><figcaption>{_e(label.replace('_', ' '))}</figcaption>"
        + histogram_svg([row.scores[label] for row in result.rows], policy.thresholds[label], label=label)
        + "</figure>"
        for label in LABELS
    )
    dry = " Policy in dry-run: nothing would be acted on." if policy.dry_run else ""
    skipped = f", {len(result.errors)} line(s) skipped" if result.errors else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warden replay: {_e(source)}</title><style>{_STYLE}</style></head>
<body>
<h1>Warden replay: {_e(source)}</h1>
<p class="meta">{len(result.rows)} messages{skipped}, {len(acted)} acted on. Scored by the
{_e(result.backend)} backend, model {_e(result.model_version)}; made {made}.{dry}</p>
<h2>Decisions</h2><div class="counts" id="counts">{count_boxes}</div>
<h2>Scores per label</h2><p class="meta">Every message's score, in bars of 0.05; red bars reach the
label's threshold (dashed).</p><div class="hists" id="histograms">{figures}</div>
<h2>Acted-on messages</h2>
<p class="meta">Evidence: the words that carried each label (removing one lowers the label's score by
the weight shown), marked in the message.</p>
<div class="filters"><label>Action <select id="action-filter">{_options(actions, "all actions")}</select>
</label><label>Label <select id="label-filter">{_options(fired, "all labels")}</select></label>
<span id="shown"></span></div>
<table id="messages"><thead><tr><th>line</th><th>author</th><th>action</th><th>labels</th><th>message</th>
<th>evidence</th></tr></thead><tbody>{"".join(_row(row) for row in acted)}</tbody></table>
<script>{_SCRIPT}</script>
</body></html>
"""
