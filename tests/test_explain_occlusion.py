"""Evidence by occlusion (bot.explain): which words carried a fired label, against any scorer backend."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from bot.explain import Evidence, aexplain, evidence_from, explain, plan_evidence, words
from bot.explain.occlusion import MAX_VARIANTS, without
from bot.explain.pooled import ExplainItem, explain_many
from bot.scoring.base import LABELS, Scores, ScoringError


class WordBackend:
    """Each listed word adds its score to a label (summed, capped at 1); everything else scores 0.01."""

    name = "word-test"
    model_version = "word-test-1"

    def __init__(self, weights: dict[str, dict[str, float]], fail_on: str | None = None) -> None:
        self.weights = weights
        self.fail_on = fail_on
        self.calls: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            if self.fail_on is not None and self.fail_on in text:
                raise ScoringError("cannot score this one")
            values = dict.fromkeys(LABELS, 0.01)
            for word in re.findall(r"\w+", text.lower()):
                for label, value in self.weights.get(word, {}).items():
                    values[label] = min(1.0, values[label] + value)
            out.append(Scores(**values))
        return out


MORON = "You are a complete moron if you believe the Kremlin press office."
INSULTS = {"moron": {"insult": 0.8, "toxicity": 0.7}, "idiot": {"insult": 0.7}}


def score_chunks(backend: WordBackend, chunks: Sequence[str]) -> list[Scores]:
    return backend.score(list(chunks))


def test_words_drop_edge_punctuation_and_keep_emoji() -> None:
    found = words("Well... you're a 'moron', ok? 🖕 !!")
    assert [word.text for word in found] == ["Well", "you're", "a", "moron", "ok", "🖕"]
    text = "Well... you're a 'moron', ok?"
    moron = found[3]
    assert text[moron.start : moron.end] == "moron"
    assert without(text, moron.token_start, moron.token_end) == "Well... you're a ok?"


def test_the_word_that_carries_the_label_is_the_evidence() -> None:
    backend = WordBackend(INSULTS)
    (scores,) = score_chunks(backend, [MORON])

    evidence = explain(backend, [MORON], [scores], ["insult"])

    assert evidence == (Evidence("moron", "insult", pytest.approx(0.8, abs=1e-6)),)  # type: ignore[arg-type]  # approx equals the float


def test_every_fired_label_gets_its_own_evidence_in_label_order() -> None:
    backend = WordBackend(INSULTS)
    (scores,) = score_chunks(backend, [MORON])

    evidence = explain(backend, [MORON], [scores], ["toxicity", "insult"])

    assert [(item.text, item.label) for item in evidence] == [("moron", "toxicity"), ("moron", "insult")]
    assert evidence[0].weight == pytest.approx(0.7, abs=1e-6)


def test_all_variants_are_scored_in_one_call_with_duplicates_once() -> None:
    backend = WordBackend(INSULTS)
    text = "idiot idiot moron"
    (scores,) = score_chunks(backend, [text])
    backend.calls.clear()

    explain(backend, [text], [scores], ["insult", "toxicity"])

    assert len(backend.calls) == 1
    (call,) = backend.calls
    assert len(call) == len(set(call))  # "idiot moron" once, though two removals give it
    assert text not in call


def test_a_pair_is_kept_only_when_the_two_words_carry_more_together() -> None:
    backend = WordBackend({"burn": {"threat": 0.3}, "die": {"threat": 0.3}})
    text = "go burn die now"
    (scores,) = score_chunks(backend, [text])

    evidence = explain(backend, [text], [scores], ["threat"])

    assert [(item.text, item.weight) for item in evidence] == [("burn die", pytest.approx(0.6, abs=1e-6))]


def test_words_that_barely_move_the_score_are_not_evidence() -> None:
    backend = WordBackend({"moron": {"insult": 0.8}, "complete": {"insult": 0.04}, "a": {"insult": 0.1}})
    (scores,) = score_chunks(backend, [MORON])

    evidence = explain(backend, [MORON], [scores], ["insult"])

    # "complete" is under the absolute floor, "a" under a quarter of the heaviest word's drop
    assert [item.text for item in evidence] == ["moron"]


def test_each_label_is_explained_on_its_own_highest_chunk() -> None:
    backend = WordBackend({"idiot": {"insult": 0.9}, "kill": {"threat": 0.9}})
    chunks = ["what an idiot you are", "and I will kill the bill"]
    scores = score_chunks(backend, chunks)

    evidence = explain(backend, chunks, scores, ["insult", "threat"])

    assert {(item.text, item.label) for item in evidence} == {("idiot", "insult"), ("kill", "threat")}


def test_a_one_word_chunk_is_its_own_evidence() -> None:
    backend = WordBackend(INSULTS)
    (scores,) = score_chunks(backend, ["Moron!"])

    plan = plan_evidence(["Moron!"], [scores], ["insult"])
    assert plan.texts == []  # nothing left to score once the word is gone
    assert explain(backend, ["Moron!"], [scores], ["insult"]) == (
        Evidence("Moron", "insult", pytest.approx(0.81, abs=1e-6)),  # type: ignore[arg-type]  # approx equals the float
    )


def test_the_variant_budget_leaves_later_chunks_unexplained() -> None:
    chunk = " ".join(f"w{i}" for i in range(64)) + " idiot"
    other = " ".join(f"v{i}" for i in range(64)) + " kill"
    scores = [Scores(insult=0.9), Scores(threat=0.9)]

    plan = plan_evidence([chunk, other], scores, ["insult", "threat"], max_variants=200)

    assert [target.label for target in plan.targets] == ["insult"]
    assert len(plan.texts) <= 200 <= MAX_VARIANTS


def test_unknown_labels_and_empty_messages_plan_nothing() -> None:
    assert plan_evidence([], [], ["insult"]).targets == []
    assert plan_evidence(["hello"], [Scores()], ["not-a-label"]).targets == []
    with pytest.raises(ValueError, match="2 scores for 1 chunks"):
        plan_evidence(["hello"], [Scores(), Scores()], ["insult"])


def test_stored_evidence_is_validated_on_the_way_back() -> None:
    stored = [
        {"text": "moron", "label": "insult", "weight": 0.73},
        {"text": "", "label": "insult", "weight": 0.5},
        {"text": "x", "label": "rudeness", "weight": 0.5},
        {"text": "x", "label": "insult", "weight": True},
        {"text": "x", "label": "insult", "weight": float("nan")},
        "moron",
        None,
    ]
    assert evidence_from(stored) == (Evidence("moron", "insult", 0.73),)
    assert evidence_from("not a list") == ()
    assert Evidence("moron", "insult", 0.73).to_dict() == {"text": "moron", "label": "insult", "weight": 0.73}


async def test_async_evidence_scores_through_one_score_many_call() -> None:
    backend = WordBackend(INSULTS)
    (scores,) = score_chunks(backend, [MORON])
    calls: list[list[str]] = []

    async def score_many(texts: list[str]) -> list[Scores]:
        calls.append(texts)
        return backend.score(texts)

    evidence = await aexplain(score_many, [MORON], [scores], ["insult"])

    assert [item.text for item in evidence] == ["moron"]
    assert len(calls) == 1


async def test_async_evidence_raises_when_the_scorer_returns_too_few() -> None:
    async def short(texts: list[str]) -> list[Scores]:
        return [Scores()]

    with pytest.raises(ScoringError, match="1 scores for"):
        await aexplain(short, [MORON], [Scores(insult=0.9)], ["insult"])


def test_many_messages_pool_their_texts_and_one_failure_costs_only_its_evidence() -> None:
    backend = WordBackend(INSULTS, fail_on="poison")
    texts = ["you moron", "what an idiot", "poison idiot here"]
    items = [
        ExplainItem(
            [text], backend.score([text]) if "poison" not in text else [Scores(insult=0.7)], ["insult"]
        )
        for text in texts
    ]
    backend.calls.clear()

    found = explain_many(backend, items)

    assert [[item.text for item in evidence] for evidence in found] == [["moron"], ["idiot"], []]
    assert len(backend.calls[0]) > 6  # the first call pooled every message's texts


def test_many_messages_share_identical_texts() -> None:
    backend = WordBackend(INSULTS)
    items = [ExplainItem(["you moron"], backend.score(["you moron"]), ["insult"])] * 3
    backend.calls.clear()

    found = explain_many(backend, items)

    assert all([item.text for item in evidence] == ["moron"] for evidence in found)
    assert backend.calls == [["moron", "you"]]
