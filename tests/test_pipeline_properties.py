"""Property tests for the pipeline (hypothesis; skipped where it is not installed)."""

from __future__ import annotations

import string

import pytest

from bot.pipeline import normalize, prepare

pytest.importorskip("hypothesis")

from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_property_prepare_never_fails_and_is_consistent(raw: str) -> None:
    prepared = prepare(raw, max_words=8)
    assert prepared.is_empty == (prepared.chunks == ())
    if prepared.text == "":
        assert prepared.is_empty
    if prepared.is_empty:
        assert not any(char.isalnum() for char in prepared.text)
    assert all(len(chunk.split()) <= 8 for chunk in prepared.chunks)
    assert len(set(prepared.urls)) == len(prepared.urls)
    assert prepared.text == prepared.text.strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " \n.,!?'-$@/:;%", max_size=200))
def test_property_normalize_is_idempotent_on_plain_text(raw: str) -> None:
    # Plain text without markup characters: Discord markup is context dependent (a lone "_" is text,
    # "_x" after a removed space is an emphasis marker), so arbitrary markup is not idempotent.
    once = normalize(raw)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**6))
def test_property_numbers_survive(a: int, b: int) -> None:
    text = f"{a} strikes in {b}, {a}/{b} and ${b}.99"
    assert normalize(text) == text
