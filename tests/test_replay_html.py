"""``warden replay --html``: a self-contained page, checked as text and rendered in headless Chromium."""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.policy import load_default_policy
from bot.replay.engine import ReplayEngine, ReplayResult
from bot.replay.html_report import marked, render_report
from bot.replay.reader import ThreadMessage
from bot.scoring.base import LABELS, Scores
from tests import browser
from tests.test_replay_cli import replay

SCRIPT_MESSAGE = "<script>alert('x')</script> you moron"


class Keywords:
    """``moron`` and ``idiot`` are insults (warned; logged when they address nobody), ``vermin`` an
    identity attack (queued)."""

    name = "keywords-test"
    model_version = "keywords-test-1"

    def score(self, texts: Sequence[str]) -> list[Scores]:
        out = []
        for text in texts:
            values = dict.fromkeys(LABELS, 0.01)
            lowered = text.lower()
            if "moron" in lowered or "idiot" in lowered:
                values.update(insult=0.9, toxicity=0.88)
            if "vermin" in lowered:
                values.update(identity_attack=0.92, toxicity=0.9)
            out.append(Scores(**values))
        return out


THREAD = [
    ("ann", "The summit starts on Monday, the agenda is online."),
    ("bob", "You are a complete moron if you believe the Kremlin press office."),
    ("cy", "Immigrants are vermin and should go back."),
    ("dee", "Thanks, that was a useful link."),
    ("eve", SCRIPT_MESSAGE),
    ("fay", "What an idiot."),
]


@pytest.fixture(scope="module")
def result() -> ReplayResult:
    messages = [ThreadMessage(line=i + 1, content=text, author=a) for i, (a, text) in enumerate(THREAD)]
    return ReplayEngine(Keywords(), load_default_policy()).run(messages)


@pytest.fixture(scope="module")
def page(result: ReplayResult) -> str:
    return render_report(
        result, load_default_policy(), source="thread.jsonl", now=datetime(2026, 3, 1, tzinfo=UTC)
    )


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


# --------------------------------------------------------------------------- the page as text


def test_the_page_loads_nothing_from_anywhere(page: str) -> None:
    for tag, attrs in tags(page):
        assert tag not in {"link", "iframe", "img", "object", "embed"}, tag
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert (
        "@import" not in page and "url(" not in page and "http" not in page.lower().replace("http-equiv", "")
    )
    assert "default-src 'none'" in page  # and the browser is told to refuse any load


def test_member_text_is_escaped_not_run(page: str) -> None:
    assert [tag for tag, _ in tags(page)].count("script") == 1  # the page's own
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_counts_histograms_and_only_acted_on_rows(page: str, result: ReplayResult) -> None:
    rows = [attrs for tag, attrs in tags(page) if tag == "tr" and "data-action" in attrs]
    acted = [row for row in result.rows if row.decision.action.value != "none"]
    assert len(rows) == len(acted) == 4
    assert [row["data-action"] for row in rows] == ["warn", "queue", "warn", "log"]
    assert len([1 for tag, attrs in tags(page) if tag == "svg"]) == len(LABELS)
    assert re.search(r'data-action="warn"><b>2</b>', page)
    assert re.search(r'data-action="none"><b>2</b>', page)


def test_evidence_is_marked_in_the_message() -> None:
    from bot.explain import Evidence

    evidence = [Evidence("moron", "insult", 0.7), Evidence("complete moron", "toxicity", 0.5)]
    assert marked("You are a complete  Moron, truly <b>", evidence) == (
        "You are a <mark>complete  Moron</mark>, truly &lt;b&gt;"
    )
    assert marked("morons everywhere", [Evidence("moron", "insult", 0.7)]) == "morons everywhere"


# --------------------------------------------------------------------------- the page in a browser


def visible_rows(dom: str) -> list[dict[str, str | None]]:
    return [
        attrs for tag, attrs in tags(dom) if tag == "tr" and "data-action" in attrs and "hidden" not in attrs
    ]


def test_the_page_renders_and_filters_in_headless_chromium(page: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    url = path.as_uri()

    everything = browser.dump_dom(url)
    assert 'data-ready="yes"' in everything  # the page's script ran
    assert len(visible_rows(everything)) == 4
    assert "4 of 4 messages shown" in everything
    assert "<mark>moron</mark>" in everything and "<svg" in everything

    warned = browser.dump_dom(url + "?action=warn")
    assert {row["data-action"] for row in visible_rows(warned)} == {"warn"}
    assert "2 of 4 messages shown" in warned

    attacks = browser.dump_dom(url + "?label=identity_attack")
    (row,) = visible_rows(attacks)
    assert row["data-action"] == "queue"

    nothing = browser.dump_dom(url + "?action=queue&label=insult")
    assert visible_rows(nothing) == [] and "0 of 4 messages shown" in nothing


def test_a_screenshot_of_the_report_is_kept(page: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")

    shot = browser.screenshot(path.as_uri(), browser.ARTIFACTS / "replay-report.png")

    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1200)
    assert len(data) > 20_000  # a rendered page, not a blank one


# --------------------------------------------------------------------------- the command line


def test_the_cli_writes_the_report_whole(tmp_path: Path) -> None:
    path = tmp_path / "thread.txt"
    path.write_text(
        "You are a complete moron if you believe the Kremlin press office.\nhello\n", encoding="utf-8"
    )
    out = tmp_path / "report.html"

    code, _, err = replay(str(path), "--html", str(out))

    assert code == 0, err
    assert "Report written to" in err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<mark>moron</mark>" in text
    assert not list(tmp_path.glob(".*partial"))


def test_the_cli_refuses_a_report_folder_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "thread.txt"
    path.write_text("hello\n", encoding="utf-8")

    code, _, err = replay(str(path), "--html", str(tmp_path / "nope" / "report.html"))

    assert code == 1 and "no such folder" in err
