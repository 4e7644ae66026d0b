"""Evidence in the replay: ``--json`` carries it, the table shows it, only acted-on messages get it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from bot.cli.app import app
from bot.policy import load_default_policy
from bot.replay.engine import ReplayEngine
from bot.replay.reader import ThreadMessage
from bot.scoring.base import LABELS, Scores, ScoringError
from tests.test_replay_cli import json_rows, replay, runner

MORON = "You are a complete moron if you believe the Kremlin press office."


class Insults:
    """``moron`` scores as an insult; a text holding ``boom`` cannot be scored when it is a variant."""

    name = "insults-test"
    model_version = "insults-test-1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.calls.append(list(texts))
        if len(texts) > 1 and any("boom" in text for text in texts):
            raise ScoringError("boom")
        out = []
        for text in texts:
            values = dict.fromkeys(LABELS, 0.01)
            if "moron" in text.lower():
                values.update(insult=0.9, toxicity=0.9)
            out.append(Scores(**values))
        return out


def messages(*texts: str) -> list[ThreadMessage]:
    return [ThreadMessage(line=i + 1, content=text, author=f"a{i}") for i, text in enumerate(texts)]


def test_the_moron_line_names_moron_in_json_and_in_the_table(tmp_path: Path) -> None:
    path = tmp_path / "thread.jsonl"
    lines = [{"author": "a", "content": MORON}, {"author": "b", "content": "The summit starts on Monday."}]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")

    code, out, _ = replay(str(path), "--json")

    assert code == 0
    flagged, clean = json_rows(out)
    assert flagged["action"] != "none", flagged
    assert flagged["evidence"], flagged
    top = max(flagged["evidence"], key=lambda item: item["weight"])
    assert top["text"] == "moron"
    assert top["label"] in flagged["labels"]
    assert set(top) == {"text", "label", "weight"}
    assert clean["evidence"] == []

    wide = runner.invoke(app, ["replay", str(path)], env={"COLUMNS": "160"})
    assert wide.exit_code == 0
    table = wide.stdout
    assert "evidence" in table
    assert re.search(r"│ moron 0\.\d\d *│", table), table


def test_only_acted_on_messages_are_explained() -> None:
    backend = Insults()
    result = ReplayEngine(backend, load_default_policy()).run(messages("hello there", "you moron"))

    clean, rude = result.rows
    assert clean.evidence == ()
    assert {(item.text, item.label) for item in rude.evidence} == {("moron", "insult"), ("moron", "toxicity")}
    explained = [text for call in backend.calls[1:] for text in call]
    assert "there" not in explained and "hello" not in explained  # the clean line was never taken apart


def test_evidence_can_be_switched_off() -> None:
    backend = Insults()
    result = ReplayEngine(backend, load_default_policy(), evidence=False).run(messages("you moron"))

    assert result.rows[0].evidence == ()
    assert len(backend.calls) == 1


def test_a_message_whose_evidence_cannot_be_scored_keeps_its_decision() -> None:
    backend = Insults()
    result = ReplayEngine(backend, load_default_policy()).run(
        messages("you moron", "moron boom", "another moron here")
    )

    assert [row.decision.action.value != "none" for row in result.rows] == [True, True, True]
    assert [{item.text for item in row.evidence} for row in result.rows] == [{"moron"}, set(), {"moron"}]
    assert result.errors == []


def test_no_evidence_skips_it(tmp_path: Path) -> None:
    path = tmp_path / "thread.txt"
    path.write_text(MORON + "\n", encoding="utf-8")

    code, out, _ = replay(str(path), "--json", "--no-evidence")

    assert code == 0
    (row,) = json_rows(out)
    assert row["action"] != "none" and row["evidence"] == []
