"""``warden replay FILE``: show what Warden would have done to a thread, with no Discord and no token."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.explain import Evidence, evidence_dicts
from bot.policy import PolicyConfigError, PolicySettings, load_default_policy, load_policy_file
from bot.policy.decision import Action, Decision
from bot.replay.engine import ReplayEngine, ReplayResult
from bot.replay.html_report import render_report
from bot.replay.reader import ReadResult, ThreadReadError, read_thread
from bot.replay.record import REPLAY_GUILD_ID, record_replay
from bot.scoring.base import ScoringError
from bot.scoring.registry import build_backend
from bot.storage.database import Database
from bot.storage.errors import DatabaseUnavailableError

EXCERPT_CHARS = 160
PROGRESS_MIN_MESSAGES = 200
ACTION_STYLES = {
    Action.NONE: "dim",
    Action.LOG: "cyan",
    Action.WARN: "yellow",
    Action.QUEUE: "magenta",
    Action.DELETE: "red",
    Action.TIMEOUT: "bold red",
}

SHORT_LABELS = {
    "toxicity": "tox",
    "severe_toxicity": "severe",
    "obscene": "obscene",
    "threat": "threat",
    "insult": "insult",
    "identity_attack": "identity",
}
"""Label names short enough for an 80-column table (``--json`` keeps detoxify's names)."""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def evidence_text(evidence: Sequence[Evidence], limit: int = 3) -> str:
    """The table's evidence: the heaviest few words, each with its largest weight (``moron 0.73``);
    which label each carried is in ``--json``."""
    heaviest: dict[str, Evidence] = {}
    for item in sorted(evidence, key=lambda item: -item.weight):
        heaviest.setdefault(item.text.casefold(), item)
    return ", ".join(f"{item.text} {item.weight:.2f}" for item in list(heaviest.values())[:limit])


def short_reason(decision: Decision) -> str:
    """The table's one-line reason: which labels fired and what changed the action (``--json`` has it all)."""
    if decision.action is Action.NONE:
        return "below thresholds" if decision.reason.startswith("no label") else decision.reason
    parts = [" ".join(SHORT_LABELS.get(label, label) for label in decision.labels)]
    if decision.unaddressed_insult:
        parts.append("insult addresses nobody here")
    if decision.escalation:
        parts.append(decision.escalation)
    return "; ".join(parts)


def register(app: typer.Typer) -> None:
    """Add ``replay`` to the ``warden`` app."""
    app.command(name="replay")(replay)


def replay(
    file: Annotated[Path, typer.Argument(help="Thread file: plain text (one message a line) or JSONL.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per message on stdout, nothing else.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="Policy TOML (full or partial) to try other thresholds.")
    ] = None,
    backend: Annotated[
        str, typer.Option("--backend", help="Scorer backend: embedded or detoxify.")
    ] = "embedded",
    detoxify_model: Annotated[
        str, typer.Option(help="detoxify model name (original, unbiased, multilingual, ...).")
    ] = "original",
    checkpoint: Annotated[
        Path | None, typer.Option(help="detoxify: local checkpoint file (offline use).")
    ] = None,
    hf_config: Annotated[
        Path | None, typer.Option(help="detoxify: local Hugging Face config + tokenizer folder.")
    ] = None,
    only_flagged: Annotated[
        bool, typer.Option("--only-flagged", help="Table shows only messages with an action above none.")
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Also record the run in this Warden database (scores, decisions, cases, queue): a SQLite "
            "file or a postgresql:// URL.",
        ),
    ] = None,
    no_evidence: Annotated[
        bool,
        typer.Option(
            "--no-evidence", help="Skip the evidence (faster: it scores each acted-on message ~2x per word)."
        ),
    ] = False,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Also write a self-contained HTML report (counts, histograms, evidence)."
        ),
    ] = None,
    guild: Annotated[
        int, typer.Option("--guild", min=1, help="With --db: the server id the run is recorded under.")
    ] = REPLAY_GUILD_ID,
) -> None:
    """Replay a thread offline and show, message by message, what Warden would have done."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        policy = load_policy_file(config) if config is not None else load_default_policy()
    except PolicyConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc

    try:
        read = read_thread(file)
    except ThreadReadError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    for problem in read.errors:
        err.print(f"[yellow]{escape(str(file))}: line {problem.line}[/] {escape(problem.message)}")
    if not read.messages:
        err.print(f"[red]error:[/] {escape(str(file))}: no line could be read, nothing scored")
        raise typer.Exit(1)

    options: dict[str, object] = {}
    if backend == "detoxify":
        options = {
            "model_type": detoxify_model,
            "checkpoint": checkpoint,
            "huggingface_config_path": hf_config,
        }
    if html_out is not None and not html_out.parent.is_dir():
        err.print(f"[red]error:[/] {escape(str(html_out))}: no such folder for the report")
        raise typer.Exit(1)
    # an unusable --db is refused before the scoring, not after it
    database = _open_database(db, err) if db is not None else None
    try:
        result = _score(
            backend, options, policy, read, file=file, as_json=as_json, evidence=not no_evidence, console=err
        )
        if database is not None:
            _record(database, result, policy, source=str(file), guild_id=guild, console=err)
        if html_out is not None:
            _write_html(html_out, render_report(result, policy, source=file.name), console=err)
    finally:
        if database is not None:
            database.close()
    if as_json:
        _print_json(result)
    else:
        _print_table(result, policy, only_flagged=only_flagged)


def _score(
    backend: str,
    options: dict[str, object],
    policy: PolicySettings,
    read: ReadResult,
    *,
    file: Path,
    as_json: bool,
    evidence: bool,
    console: Console,
) -> ReplayResult:
    """Build the backend and replay the thread; a clear error and exit 1 when nothing could be scored."""
    try:
        scorer = build_backend(backend, **options)
        if hasattr(scorer, "warm_up"):
            scorer.warm_up()  # load time is not the replay's throughput
        engine = ReplayEngine(scorer, policy, evidence=evidence)
        result = _run(engine, read, show_progress=not as_json, console=console)
    except (ScoringError, ValueError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    for problem in result.failed:
        console.print(f"[yellow]{escape(str(file))}: line {problem.line}[/] {escape(problem.message)}")
    if not result.rows:
        console.print(f"[red]error:[/] {escape(str(file))}: no line could be scored")
        raise typer.Exit(1)
    return result


def _write_html(path: Path, page: str, *, console: Console) -> None:
    """Write the report whole or not at all (a temporary file renamed over ``path``)."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(page, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        reason = escape(exc.strerror or str(exc))
        console.print(f"[red]error:[/] {escape(str(path))}: cannot write the report ({reason})")
        raise typer.Exit(1) from exc
    console.print(f"Report written to {escape(str(path))}.")


def _open_database(path: str, console: Console) -> Database:
    """The Warden database at ``path`` (a file or a ``postgresql://`` URL; created and migrated when new),
    or a one-line error and exit 1."""
    try:
        return Database(path)
    except DatabaseUnavailableError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def _record(
    database: Database,
    result: ReplayResult,
    policy: PolicySettings,
    *,
    source: str,
    guild_id: int,
    console: Console,
) -> None:
    """Record the run (one transaction); one line on stderr says what was stored."""
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, *database.dialect.errors)
    try:
        recorded = record_replay(database, result, policy, source=source, guild_id=guild_id)
    except errors as exc:
        console.print(f"[red]error:[/] could not record the run ({escape(str(exc))}): nothing was stored")
        raise typer.Exit(1) from exc
    console.print(
        f"Recorded {recorded.messages} messages ({recorded.cases} cases, {recorded.queue_entries} queue "
        f"entries) as server {recorded.guild_id}."
    )


def _run(engine: ReplayEngine, read: ReadResult, *, show_progress: bool, console: Console) -> ReplayResult:
    total = len(read.messages)
    if not show_progress or total < PROGRESS_MIN_MESSAGES:
        return engine.run(read.messages, read.errors)
    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scoring", total=total)
        return engine.run(read.messages, read.errors, progress=lambda n: progress.advance(task, n))


def _print_json(result: ReplayResult) -> None:
    out = sys.stdout
    for row in result.rows:
        record = {
            "line": row.line,
            "author": row.author,
            "content": excerpt(row.content, 200),
            "scores": {label: round(value, 4) for label, value in row.scores.as_dict().items()},
            "action": row.decision.action.value,
            "labels": list(row.decision.labels),
            "reason": row.decision.reason,
            "evidence": evidence_dicts(row.evidence),
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def _print_table(result: ReplayResult, policy: PolicySettings, *, only_flagged: bool) -> None:
    console = Console()
    table = Table(title="Warden replay", show_lines=False, expand=True)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("author", max_width=12, overflow="ellipsis")
    table.add_column("message", ratio=3)
    table.add_column("top labels", ratio=2)
    table.add_column("decision", no_wrap=True)
    table.add_column("reason", ratio=2)
    table.add_column("evidence", ratio=2)
    for row in result.rows:
        action = row.decision.action
        if only_flagged and action is Action.NONE:
            continue
        top = " ".join(f"{SHORT_LABELS[label]} {value:.2f}" for label, value in row.scores.top(2))
        style = ACTION_STYLES.get(action, "")
        table.add_row(
            str(row.line),
            escape(row.author or "-"),
            escape(excerpt(row.content, 100)),
            top,
            f"[{style}]{action.value}[/]",
            escape(short_reason(row.decision)),
            escape(evidence_text(row.evidence)),
        )
    console.print(table)
    counts = ", ".join(f"{action.value} {result.action_counts.get(action.value, 0)}" for action in Action)
    skipped = f", {len(result.errors)} line(s) skipped" if result.errors else ""
    console.print(
        f"[bold]{len(result.rows)} messages[/]{skipped}: {counts}. "
        f"{result.messages_per_second:,.0f} messages/s.\n"
        f"Scored by the [bold]{escape(result.backend)}[/] backend, model {escape(result.model_version)}"
        + (" (policy in dry-run: nothing would be acted on)" if policy.dry_run else "")
    )
