"""Cases (``cases``): append-only infraction records with per-server numbers and lifecycle fields.

Rules the database itself enforces (so no race in the bot can break them):

- case numbers are unique per server, allocated inside the transaction that inserts the case
  (SQLite: ``max + 1`` under ``BEGIN IMMEDIATE``; PostgreSQL: a per-server counter row, locked until
  the case commits): no duplicates across processes, and a refused insert rolls back its number so
  there is no gap either;
- at most one *active* timeout per user (partial unique index);
- at most one case of each type per message (an edit or a retried event cannot warn twice);
- no case is ever deleted, and only lifecycle fields (active, expiry, DM outcome, pardon) change.

``active`` means "in effect": a warning counts toward escalation until pardoned (or expired, if it was
given an expiry); a timeout or ban is active until it expires or is pardoned; delete, kick and note are
instant and are stored inactive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.policy.engine import AuthorHistory
from bot.policy.settings import MAX_ESCALATION_HOURS
from bot.storage._common import after, flag, from_db_time, maybe_db_time, need_time, rows, to_db_time, utcnow
from bot.storage.database import Database
from bot.storage.errors import ConflictError, NotFoundError, StateError


class CaseType(StrEnum):
    """What kind of infraction a case records."""

    WARN = "warn"
    TIMEOUT = "timeout"
    DELETE = "delete"
    BAN = "ban"
    KICK = "kick"
    NOTE = "note"

    @property
    def lasting(self) -> bool:
        """True for types that stay in effect (stored active): warn, timeout, ban."""
        return self in {CaseType.WARN, CaseType.TIMEOUT, CaseType.BAN}


@dataclass(frozen=True, slots=True)
class Case:
    """One infraction. ``moderator_id`` is ``None`` for automatic cases (``auto``)."""

    id: int
    guild_id: int
    case_number: int
    user_id: int
    moderator_id: int | None
    type: CaseType
    reason: str
    created_at: datetime
    expires_at: datetime | None
    active: bool
    auto: bool
    dm_sent: bool | None
    dm_error: str | None
    message_id: int | None
    channel_id: int | None
    jump_url: str | None
    pardoned_by: int | None
    pardoned_at: datetime | None
    pardon_reason: str | None

    @property
    def pardoned(self) -> bool:
        """True once a moderator pardoned the case."""
        return self.pardoned_at is not None


def _case(row: Mapping[str, Any]) -> Case:
    return Case(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        case_number=int(row["case_number"]),
        user_id=int(row["user_id"]),
        moderator_id=row["moderator_id"],
        type=CaseType(row["type"]),
        reason=str(row["reason"]),
        created_at=need_time(row["created_at"]),
        expires_at=from_db_time(row["expires_at"]),
        active=bool(row["active"]),
        auto=bool(row["auto"]),
        dm_sent=flag(row["dm_sent"]),
        dm_error=row["dm_error"],
        message_id=row["message_id"],
        channel_id=row["channel_id"],
        jump_url=row["jump_url"],
        pardoned_by=row["pardoned_by"],
        pardoned_at=from_db_time(row["pardoned_at"]),
        pardon_reason=row["pardon_reason"],
    )


@dataclass(frozen=True, slots=True)
class OwedModlog:
    """A modlog line recorded as owed with its case's change and not posted yet."""

    guild_id: int
    case_number: int
    event: str
    since: datetime


DEFAULT_LOOKBACK = timedelta(hours=MAX_ESCALATION_HOURS)
"""How far back :meth:`CaseRepository.history_for` looks by default: the longest window a ladder rung
may have, so the history is complete for any valid policy."""


class CaseRepository:
    """Creates cases and moves them through their lifecycle."""

    def __init__(self, database: Database) -> None:
        self._database = database

    # -- creating -----------------------------------------------------------------------------------

    def create(
        self,
        *,
        guild_id: int,
        user_id: int,
        type: CaseType | str,
        reason: str = "",
        moderator_id: int | None = None,
        auto: bool = False,
        created_at: datetime | None = None,
        expires_at: datetime | None = None,
        duration: timedelta | None = None,
        message_id: int | None = None,
        channel_id: int | None = None,
        jump_url: str | None = None,
    ) -> Case:
        """Record a new case with the server's next case number and return it.

        ``duration`` sets ``expires_at`` from ``created_at``. Raises :class:`ConflictError` (with
        ``existing``) when the user already has an active timeout and this is one, or when the message
        already has a case of this type, or (``auto`` cases: one per message, whatever its type) when
        the message already has any case; nothing is stored then and no number is used up. The check
        and the insert are one transaction, so concurrent decisions on one message (an edit re-scored
        while the first decision is still being acted on) open one case.
        """
        kind = CaseType(type)
        created = created_at or utcnow()
        if duration is not None:
            expires_at = after(created, duration)
        with self._database.transaction():
            try:
                # a savepoint: a refused case rolls back its number too, and the caller's transaction
                # (a decision's score row and queue entry) goes on
                with self._database.transaction() as db:
                    number = self._next_number(db, guild_id)
                    if auto and message_id is not None:
                        earlier = self._one(
                            "WHERE guild_id = ? AND message_id = ? ORDER BY case_number LIMIT 1",
                            [guild_id, message_id],
                        )
                        if earlier is not None:
                            raise ConflictError(
                                f"message {message_id} already has {earlier.type.value} case "
                                f"#{earlier.case_number}",
                                earlier,
                            )
                    (row,) = rows(
                        db,
                        """
                        INSERT INTO cases (guild_id, case_number, user_id, moderator_id, type, reason,
                            created_at, expires_at, active, auto, message_id, channel_id, jump_url)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
                        """,
                        [
                            guild_id,
                            number,
                            user_id,
                            moderator_id,
                            kind.value,
                            reason,
                            to_db_time(created),
                            maybe_db_time(expires_at),
                            int(kind.lasting),
                            int(auto),
                            message_id,
                            channel_id,
                            jump_url,
                        ],
                    )
            except self._database.dialect.integrity_errors as error:
                raise self._conflict(guild_id, user_id, kind, message_id, error) from error
            return _case(row)

    def _next_number(self, db: Any, guild_id: int) -> int:
        """The server's next case number, inside the transaction that inserts the case.

        SQLite: ``max + 1`` (``BEGIN IMMEDIATE`` holds the file's write lock). PostgreSQL: the server's
        row of ``case_counters``, incremented: the row stays locked until the case commits, so
        concurrent processes take turns per server, and it rolls back with a refused case (no gap).
        """
        if self._database.dialect.postgres:
            return int(
                db.execute(
                    "INSERT INTO case_counters (guild_id, last_number) VALUES (?, "
                    "(SELECT coalesce(max(case_number), 0) FROM cases WHERE guild_id = ?) + 1) "
                    "ON CONFLICT (guild_id) DO UPDATE SET last_number = case_counters.last_number + 1 "
                    "RETURNING last_number",
                    [guild_id, guild_id],
                ).fetchone()[0]
            )
        return int(
            db.execute(
                "SELECT coalesce(max(case_number), 0) + 1 FROM cases WHERE guild_id = ?", [guild_id]
            ).fetchone()[0]
        )

    def _conflict(
        self, guild_id: int, user_id: int, kind: CaseType, message_id: int | None, error: Exception
    ) -> ConflictError:
        if message_id is not None:
            existing = self._one(
                "WHERE guild_id = ? AND message_id = ? AND type = ?", [guild_id, message_id, kind]
            )
            if existing is not None:
                return ConflictError(
                    f"message {message_id} already has {kind.value} case #{existing.case_number}", existing
                )
        if kind is CaseType.TIMEOUT:
            existing = self.active_timeout(guild_id, user_id)
            if existing is not None:
                return ConflictError(
                    f"user {user_id} already has an active timeout (case #{existing.case_number})", existing
                )
        return ConflictError(f"case refused by the database: {error}")

    # -- reading ------------------------------------------------------------------------------------

    def _one(self, where: str, params: list[object]) -> Case | None:
        with self._database.connection() as db:
            found = rows(db, f"SELECT * FROM cases {where}", params)
        return _case(found[0]) if found else None

    def _by_id(self, case_id: int | None) -> Case:
        case = self._one("WHERE id = ?", [case_id])
        assert case is not None
        return case

    def _many(self, where: str, params: list[object]) -> list[Case]:
        with self._database.connection() as db:
            return [_case(row) for row in rows(db, f"SELECT * FROM cases {where}", params)]

    def get(self, guild_id: int, case_number: int) -> Case | None:
        """Case ``case_number`` of ``guild_id``, if it exists."""
        return self._one("WHERE guild_id = ? AND case_number = ?", [guild_id, case_number])

    def _need(self, guild_id: int, case_number: int) -> Case:
        case = self.get(guild_id, case_number)
        if case is None:
            raise NotFoundError("case", f"#{case_number}")
        return case

    def list_for_user(
        self, guild_id: int, user_id: int, *, active_only: bool = False, limit: int | None = None
    ) -> list[Case]:
        """The user's cases in ``guild_id``, newest first."""
        where = "WHERE guild_id = ? AND user_id = ?" + (" AND active = 1" if active_only else "")
        params: list[object] = [guild_id, user_id]
        where += " ORDER BY case_number DESC"
        if limit is not None:
            where += " LIMIT ?"
            params.append(limit)
        return self._many(where, params)

    def recent_warnings(self, guild_id: int, user_id: int, since: datetime) -> list[datetime]:
        """When the user's warnings that still count (active) were given, since ``since``, oldest first."""
        return self._times(guild_id, user_id, CaseType.WARN, since, "active = 1")

    def recent_timeouts(self, guild_id: int, user_id: int, since: datetime) -> list[datetime]:
        """When the user's timeouts (expired or not, but not pardoned) began, since ``since``."""
        return self._times(guild_id, user_id, CaseType.TIMEOUT, since, "pardoned_at IS NULL")

    def _times(
        self, guild_id: int, user_id: int, kind: CaseType, since: datetime, condition: str
    ) -> list[datetime]:
        with self._database.connection() as db:
            found = db.execute(
                f"SELECT created_at FROM cases WHERE guild_id = ? AND user_id = ? AND type = ? "
                f"AND created_at >= ? AND {condition} ORDER BY created_at",
                [guild_id, user_id, kind.value, to_db_time(since)],
            ).fetchall()
        return [need_time(row[0]) for row in found]

    def history_for(
        self,
        guild_id: int,
        user_id: int,
        now: datetime | None = None,
        *,
        lookback: timedelta = DEFAULT_LOOKBACK,
    ) -> AuthorHistory:
        """The author's recent warnings and timeouts, for :func:`bot.policy.evaluate`."""
        since = (now or utcnow()) - lookback
        return AuthorHistory(
            warnings=self.recent_warnings(guild_id, user_id, since),
            timeouts=self.recent_timeouts(guild_id, user_id, since),
        )

    def active_timeout(self, guild_id: int, user_id: int) -> Case | None:
        """The user's active timeout, if any."""
        return self._one(
            "WHERE guild_id = ? AND user_id = ? AND type = 'timeout' AND active = 1", [guild_id, user_id]
        )

    def active_expiring(self, *, guild_id: int | None = None, before: datetime | None = None) -> list[Case]:
        """Active cases with an expiry (soonest first), e.g. to reschedule their expiry on start;
        ``before`` keeps only those due by then."""
        where = "WHERE active = 1 AND expires_at IS NOT NULL"
        params: list[object] = []
        if guild_id is not None:
            where += " AND guild_id = ?"
            params.append(guild_id)
        if before is not None:
            where += " AND expires_at <= ?"
            params.append(to_db_time(before))
        return self._many(where + " ORDER BY expires_at, id", params)

    # -- lifecycle ----------------------------------------------------------------------------------

    def _update(
        self, guild_id: int, case_number: int, assignments: str, condition: str, params: list[object]
    ) -> bool:
        with self._database.transaction() as db:
            cursor = db.execute(
                f"UPDATE cases SET {assignments} WHERE guild_id = ? AND case_number = ? AND {condition}",
                [*params, guild_id, case_number],
            )
            return cursor.rowcount == 1

    def pardon(
        self,
        guild_id: int,
        case_number: int,
        *,
        moderator_id: int,
        reason: str = "",
        now: datetime | None = None,
    ) -> Case:
        """Pardon a case: it stops counting and stops being in effect. Raises :class:`NotFoundError`,
        or :class:`StateError` (``current``) when it was already pardoned; only one pardon succeeds."""
        changed = self._update(
            guild_id,
            case_number,
            "active = 0, pardoned_by = ?, pardoned_at = ?, pardon_reason = ?",
            "pardoned_at IS NULL",
            [moderator_id, to_db_time(now or utcnow()), reason],
        )
        case = self._need(guild_id, case_number)
        if not changed:
            raise StateError(f"case #{case_number} was already pardoned", case)
        return case

    def mark_dm(self, guild_id: int, case_number: int, *, sent: bool, error: str | None = None) -> Case:
        """Record whether the member was told by DM (and why not)."""
        self._update(guild_id, case_number, "dm_sent = ?, dm_error = ?", "1 = 1", [int(sent), error])
        return self._need(guild_id, case_number)

    def expire(self, guild_id: int, case_number: int, *, owe_modlog: str | None = None) -> bool:
        """End an active case (its expiry came, or the timeout was lifted); False if it was not active.

        ``owe_modlog`` (an event, e.g. ``"expired"``): in the same transaction, record that a modlog
        line is owed for it (:meth:`owed_modlog`), so a process killed before posting it does not lose
        it; :meth:`modlog_posted` settles it."""
        with self._database.transaction() as db:
            changed = self._update(guild_id, case_number, "active = 0", "active = 1", [])
            if changed and owe_modlog is not None:
                db.execute(
                    "INSERT INTO modlog_outbox (guild_id, case_number, event, created_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (guild_id, case_number, event) DO NOTHING",
                    [guild_id, case_number, owe_modlog, to_db_time(utcnow())],
                )
        if not changed:
            self._need(guild_id, case_number)
        return changed

    # -- the modlog outbox --------------------------------------------------------------------------

    def owed_modlog(self) -> list[OwedModlog]:
        """Modlog lines owed and not posted yet (a process stopped between the case and its line),
        oldest first."""
        with self._database.connection() as db:
            found = rows(db, "SELECT guild_id, case_number, event, created_at FROM modlog_outbox ORDER BY id")
        return [
            OwedModlog(r["guild_id"], r["case_number"], r["event"], need_time(r["created_at"])) for r in found
        ]

    def modlog_posted(self, guild_id: int, case_number: int, event: str) -> bool:
        """The owed line was posted (or Discord refused it, which is logged): nothing is owed any more."""
        with self._database.transaction() as db:
            cursor = db.execute(
                "DELETE FROM modlog_outbox WHERE guild_id = ? AND case_number = ? AND event = ?",
                [guild_id, case_number, event],
            )
            return cursor.rowcount == 1

    def extend(self, guild_id: int, case_number: int, expires_at: datetime) -> Case:
        """Move an active case's expiry to ``expires_at`` (a running timeout extended by a stronger
        ladder rung) and return it; an ended case is returned unchanged."""
        self._update(guild_id, case_number, "expires_at = ?", "active = 1", [to_db_time(expires_at)])
        return self._need(guild_id, case_number)

    def expire_due(self, now: datetime | None = None) -> list[Case]:
        """End every active case whose expiry is at or before ``now``; returns those this call ended
        (now inactive): a case another process ended meanwhile is not returned twice."""
        with self._database.transaction():
            due = self.active_expiring(before=now or utcnow())
            ended = [
                case
                for case in due
                if self._update(case.guild_id, case.case_number, "active = 0", "active = 1", [])
            ]
            return [self._by_id(case.id) for case in ended]
