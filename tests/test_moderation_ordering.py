"""Per-member turns: one member's messages are decided in arrival order, others' are not held up, and
the map of keys never outlives the messages in flight."""

from __future__ import annotations

import asyncio

from bot.moderation.ordering import KeyedTurns


async def test_turns_of_one_key_run_in_the_order_they_were_taken() -> None:
    turns = KeyedTurns()
    order: list[int] = []

    async def work(index: int, delay: float) -> None:
        async with turns.take("alice") as turn:
            await asyncio.sleep(delay)  # the later ones finish their own work first
            await turn.wait()
            order.append(index)
            await asyncio.sleep(0)

    await asyncio.gather(*(work(i, 0.02 - i * 0.004) for i in range(5)))

    assert order == [0, 1, 2, 3, 4]
    assert len(turns) == 0


async def test_other_keys_are_not_held_up() -> None:
    turns = KeyedTurns()
    first = turns.take(("guild", "alice"))
    other = turns.take(("guild", "bob"))

    await asyncio.wait_for(other.wait(), timeout=1)  # alice's turn is still held

    other.release()
    first.release()
    assert len(turns) == 0


async def test_a_turn_released_before_it_came_keeps_the_line_in_order() -> None:
    turns = KeyedTurns()
    first = turns.take("k")
    second = turns.take("k")
    third = turns.take("k")

    second.release()  # gave up early (a guard returned): it must not let the third jump the first
    waiter = asyncio.create_task(third.wait())
    await asyncio.sleep(0.01)
    assert not waiter.done()

    first.release()
    await asyncio.wait_for(waiter, timeout=1)
    third.release()
    assert len(turns) == 0


async def test_a_cancelled_waiter_releases_its_turn_without_breaking_the_line() -> None:
    turns = KeyedTurns()
    first = turns.take("k")
    order: list[str] = []

    async def waiting(name: str) -> None:
        async with turns.take("k") as turn:
            await turn.wait()
            order.append(name)

    cancelled = asyncio.create_task(waiting("cancelled"))
    last = asyncio.create_task(waiting("last"))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.sleep(0.01)
    assert order == []  # the first turn is still held

    first.release()
    await asyncio.wait_for(last, timeout=1)
    assert order == ["last"]
    assert len(turns) == 0


async def test_the_map_does_not_grow_with_members_seen() -> None:
    turns = KeyedTurns()
    for member in range(1000):
        async with turns.take(member) as turn:
            await turn.wait()
    assert len(turns) == 0
