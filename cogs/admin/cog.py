"""``/warden ...``: per-server setup for admins (Manage Server, checked by Discord and again at run time)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import ALWAYS_ON_COGS
from bot.discord_adapter.plugin import ForgetResult, WardenCheckFailure, WardenCog, quote_member_text
from bot.errors import InvalidSettingError, MissingPermissionError, WardenError
from bot.moderation.forget import redaction_summary
from bot.policy import PolicyConfigError, PolicySettings
from bot.reports.chart import render_png
from bot.reports.trends import build_trends, summary
from bot.reports.tune import MIN_DECISIONS, suggest_all
from bot.scoring.base import LABELS
from bot.services import ScoringMetrics, scorer_queue_depth
from cogs.admin.tune_view import TuneView

log = logging.getLogger(__name__)

LabelChoice = Literal["toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"]
assert get_args(LabelChoice) == LABELS


def _channel_list(ids: list[int]) -> str:
    return ", ".join(f"<#{channel_id}>" for channel_id in ids) or "none (every channel is watched)"


def _setting_error(name: str, error: PolicyConfigError) -> InvalidSettingError:
    problem = error.problems[0][1] if error.problems else str(error)
    return InvalidSettingError(name, problem)


def _role_list(ids: list[int]) -> str:
    return ", ".join(f"<@&{role_id}>" for role_id in ids) or "none (Manage Messages only)"


def setup_summary(policy: PolicySettings) -> str:
    """The channels and moderator roles of a server's policy, for ``/warden setup``."""
    queue = f"<#{policy.queue_channel_id}>" if policy.queue_channel_id else "not set"
    modlog = f"<#{policy.modlog_channel_id}>" if policy.modlog_channel_id else "not set"
    return (
        f"**Watched channels:** {_channel_list(list(policy.watched_channels))}\n"
        f"**Mod queue channel:** {queue}\n"
        f"**Modlog channel:** {modlog}\n"
        f"**Moderator roles:** {_role_list(list(policy.moderator_roles))}\n"
        f"**Dry-run:** {'on' if policy.dry_run else 'off'}"
    )


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def _overload_summary(metrics: ScoringMetrics) -> str:
    """What happened to the messages the full model could not take in time (since start)."""
    rescores = metrics.rescores
    waiting = getattr(rescores, "pending", 0) + getattr(rescores, "in_flight", 0)
    not_scored = metrics.overloaded - metrics.deferred
    parts = [
        f"{metrics.degraded} decided degraded (lexical tier, stricter thresholds)",
        f"{metrics.deferred} deferred",
        f"{metrics.rescored} re-scored by the full model",
        f"{waiting} waiting for it",
    ]
    if not_scored:
        parts.append(f"{not_scored} messages not scored")
    return "; ".join(parts)


def toggled(
    ids: Sequence[int], *, add: discord.abc.Snowflake | None, remove: discord.abc.Snowflake | None
) -> list[int]:
    """``ids`` with ``add``'s id appended (if missing) and ``remove``'s id taken out (if present)."""
    result = list(ids)
    if add is not None and add.id not in result:
        result.append(add.id)
    if remove is not None and remove.id in result:
        result.remove(remove.id)
    return result


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(WardenCog, commands.GroupCog, group_name="warden", group_description="Warden's settings"):
    """Setup, thresholds, dry-run, status, data erasure and per-server feature switches."""

    feature = "admin"

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Manage Server, re-checked at run time (Discord's default permission can be overridden)."""
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise WardenCheckFailure(WardenError("This command only works in a server."))
        perms = member.guild_permissions
        if not (perms.manage_guild or perms.administrator):
            raise WardenCheckFailure(MissingPermissionError("manage_guild"))
        return await super().interaction_check(interaction)

    async def _policy(self, guild_id: int) -> PolicySettings:
        return await self.services.policies.get(guild_id)

    async def _update(self, guild_id: int, name: str, patch: dict[str, Any]) -> PolicySettings:
        try:
            return await self.services.policies.update(guild_id, patch)
        except PolicyConfigError as error:
            raise _setting_error(name, error) from None

    @staticmethod
    async def _reply(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(
            text[:1990], ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    # ------------------------------------------------------------------ setup

    @app_commands.command(
        name="setup", description="Watched channels, mod queue channel, modlog channel, moderator roles."
    )
    @app_commands.describe(
        watch="Start watching this channel",
        unwatch="Stop watching this channel",
        queue="Where the mod queue is posted",
        modlog="Where cases are logged",
        moderator_role="Members with this role count as moderators (besides Manage Messages)",
        remove_moderator_role="This role no longer makes its members moderators",
    )
    async def setup_(
        self,
        interaction: discord.Interaction,
        watch: discord.TextChannel | None = None,
        unwatch: discord.TextChannel | None = None,
        queue: discord.TextChannel | None = None,
        modlog: discord.TextChannel | None = None,
        moderator_role: discord.Role | None = None,
        remove_moderator_role: discord.Role | None = None,
    ) -> None:
        """``/warden setup [watch] [unwatch] [queue] [modlog] [moderator_role] [remove_moderator_role]``
        (no option: show the setup)."""
        guild = interaction.guild
        assert guild is not None
        policy = await self._policy(guild.id)
        patch: dict[str, Any] = {}
        watched = toggled(policy.watched_channels, add=watch, remove=unwatch)
        if watched != list(policy.watched_channels):
            patch["watched_channels"] = watched
        if queue is not None:
            patch["queue_channel_id"] = queue.id
        if modlog is not None:
            patch["modlog_channel_id"] = modlog.id
        if moderator_role is not None and moderator_role.is_default():
            raise InvalidSettingError(
                "moderator_role", "@everyone can't be a moderator role (every member would be a moderator)"
            )
        roles = toggled(policy.moderator_roles, add=moderator_role, remove=remove_moderator_role)
        if roles != list(policy.moderator_roles):
            patch["moderator_roles"] = roles
        notes: list[str] = []
        for channel, what in ((queue, "mod queue"), (modlog, "modlog")):
            if channel is None or guild.me is None:
                continue
            perms = channel.permissions_for(guild.me)
            missing = [
                name
                for name, have in (
                    ("View Channel", perms.view_channel),
                    ("Send Messages", perms.send_messages),
                    ("Embed Links", perms.embed_links),
                )
                if not have
            ]
            if missing:
                notes.append(f"⚠ I am missing **{', '.join(missing)}** in {channel.mention} ({what}).")
        if patch:
            policy = await self._update(guild.id, "setup", patch)
            log.info("guild %s setup changed by %s: %s", guild.id, interaction.user.id, patch)
        header = "Saved." if patch else "Current setup:"
        await self._reply(interaction, "\n".join([header, setup_summary(policy), *notes]))

    # ------------------------------------------------------------------ thresholds

    @app_commands.command(name="thresholds", description="View the per-label thresholds, or set one.")
    @app_commands.describe(label="The label to change", value="New threshold, above 0 and at most 1")
    async def thresholds(
        self, interaction: discord.Interaction, label: LabelChoice | None = None, value: float | None = None
    ) -> None:
        """``/warden thresholds`` (view) or ``/warden thresholds label value`` (set, validated)."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        if label is not None and value is not None:
            if not 0 < value <= 1:
                raise InvalidSettingError(label, f"must be above 0 and at most 1 (got {value:g})")
            try:
                policy = await self.services.policies.set_key(guild_id, f"thresholds.{label}", value)
            except PolicyConfigError as error:
                raise _setting_error(label, error) from None
            log.info("guild %s threshold %s=%s by %s", guild_id, label, value, interaction.user.id)
            header = f"`{label}` threshold set to {value:.2f}."
        elif label is not None or value is not None:
            raise InvalidSettingError(label or "value", "give both a label and a value to change a threshold")
        else:
            policy = await self._policy(guild_id)
            header = "Thresholds (a label fires at or above its threshold):"
        defaults = self.services.policies.defaults.thresholds
        lines = []
        for name in LABELS:
            current = policy.thresholds[name]
            mark = "" if current == defaults[name] else f" (default {defaults[name]:.2f})"
            lines.append(f"`{name:<16}` {current:.2f}{mark}")
        await self._reply(interaction, header + "\n" + "\n".join(lines))

    # ------------------------------------------------------------------ dry-run

    @app_commands.command(name="dryrun", description="Dry-run: record and log decisions without acting.")
    @app_commands.describe(state="on: decide and log only; off: act")
    async def dryrun(self, interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        """``/warden dryrun on|off``."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        await self._update(guild_id, "dry_run", {"dry_run": state == "on"})
        log.info("guild %s dry-run %s by %s", guild_id, state, interaction.user.id)
        text = (
            "Dry-run is **on**: decisions are recorded and logged, nothing is acted on."
            if state == "on"
            else "Dry-run is **off**: Warden acts on its decisions."
        )
        await self._reply(interaction, text)

    # ------------------------------------------------------------------ status

    @app_commands.command(
        name="status", description="Backend, model, queues, latency, messages scored today."
    )
    async def status(self, interaction: discord.Interaction) -> None:
        """``/warden status``."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        services = self.services
        stats = await services.database.run(services.scores.stats_today, guild_id)
        queue = await services.database.run(services.queue.stats, guild_id)
        policy = await self._policy(guild_id)
        metrics = services.metrics
        embed = discord.Embed(title="Warden status", colour=discord.Colour.blurple())
        embed.add_field(name="Backend", value=services.backend_name, inline=True)
        embed.add_field(name="Model version", value=services.model_version, inline=True)
        if runtime := services.runtime:  # which runtime the CPU got (onnx-int8, torch...) and why
            embed.add_field(name="Runtime", value=runtime[:1024], inline=False)
        embed.add_field(name="Dry-run", value="on" if policy.dry_run else "off", inline=True)
        embed.add_field(name="Scoring queue", value=str(scorer_queue_depth(services.scorer)), inline=True)
        embed.add_field(name="Mod queue (open)", value=str(queue.open + queue.claimed), inline=True)
        embed.add_field(
            name="Scoring latency",
            value=f"p50 {_ms(metrics.percentile(50))} · p99 {_ms(metrics.percentile(99))}",
            inline=True,
        )
        embed.add_field(
            name="Today (UTC)",
            value=f"{stats.scored} messages scored, {stats.flagged} flagged"
            + (f" ({stats.dry_run} in dry-run)" if stats.dry_run else ""),
            inline=False,
        )
        if metrics.overloaded or metrics.degraded:
            embed.add_field(name="Overloaded", value=_overload_summary(metrics), inline=False)
        disabled = ", ".join(policy.disabled_cogs) or "none"
        embed.add_field(name="Switched off here", value=disabled, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # ------------------------------------------------------------------ report

    @app_commands.command(
        name="report",
        description="Trends as a chart: decisions, labels, queue time, channels, false positives.",
    )
    @app_commands.describe(days="How many days, up to today (1-365, default 30)")
    async def report(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        """``/warden report [days]``: the server's trends as a PNG, in an ephemeral reply."""
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        database = self.services.database
        trends = await database.run(build_trends, database, guild.id, days=days, end=datetime.now(UTC))
        names = {
            channel_id: getattr(guild.get_channel(channel_id), "name", str(channel_id))
            for channel_id, _ in trends.channels
        }
        title = f"Warden: {guild.name}, last {days} day{'s' if days != 1 else ''}"
        image = await asyncio.to_thread(render_png, trends, title=title, channel_names=names)
        log.info("guild %s: report of %d days for %s", guild.id, days, interaction.user.id)
        await interaction.followup.send(
            summary(trends),
            file=discord.File(io.BytesIO(image), filename="warden-report.png"),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    # ------------------------------------------------------------------ tune

    @app_commands.command(name="tune", description="Suggest thresholds from the moderators' queue decisions.")
    async def tune(self, interaction: discord.Interaction) -> None:
        """``/warden tune``: per label with enough verdicts, the threshold that best matches them, with
        an Apply button each; nothing changes until an admin presses one."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        services = self.services
        feedback = await services.database.run(services.queue.list_feedback, guild_id)
        policy = await self._policy(guild_id)
        suggestions = suggest_all(feedback, policy.thresholds)
        lines = [f"From {len(feedback)} queue verdicts (Approve = a false positive; others confirm):"]
        lines += [suggestion.text(name=f"`{suggestion.label}`") for suggestion in suggestions]
        view = TuneView(services, guild_id, suggestions)
        if view.children:
            lines.append("Press a button to apply a suggestion; nothing changes by itself.")
        else:
            lines.append(
                f"Nothing to apply yet: a label needs {MIN_DECISIONS} verdicts and a better-fitting value."
            )
        await interaction.response.send_message(
            "\n".join(lines)[:1990],
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
            view=view if view.children else discord.utils.MISSING,
        )

    # ------------------------------------------------------------------ forget

    @app_commands.command(name="forget", description="Erase a member's stored data (scores, excerpts).")
    @app_commands.describe(user="Whose data to erase")
    async def forget(self, interaction: discord.Interaction, user: discord.User) -> None:
        """``/warden forget user``: every loaded cog erases what it holds for the member
        (:meth:`~bot.discord_adapter.plugin.WardenCog.forget_member`: scores, queue excerpts and the
        reasons of their reports, context requests, a plug-in's own data) and redacts the bot's posts
        quoting them (queue cards, modlog posts); cases stay (the moderators' record). The reply says
        what each cog did, what was redacted and what could not be (deleted post, missing channel,
        missing permission)."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        results = await self._forget(guild_id, user.id)
        services = self.services
        kept = await services.database.run(services.cases.list_for_user, guild_id, user.id)
        redactions = [report for _feature, result in results for report in result.redactions]
        log.info(
            "guild %s: data of %s erased by %s: %s",
            guild_id,
            user.id,
            interaction.user.id,
            {
                feature: "failed"
                if result.failed
                else (result.erased, {r.kind: (r.redacted, dict(r.failed)) for r in result.redactions})
                for feature, result in results
            },
        )
        name = quote_member_text(user.display_name, 64)
        lines = [f"- {feature}: {result.describe()}" for feature, result in results]
        summary = redaction_summary(redactions)
        await interaction.followup.send(
            (
                f"Erased the stored data of {name} ({user.id}):\n"
                + "".join(line + "\n" for line in lines)
                + f"{summary + ' ' if summary else ''}Their {len(kept)} case(s) are kept: cases are the "
                "moderators' record (pardon them to stop them counting)."
            )[:1990],
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _forget(self, guild_id: int, user_id: int) -> list[tuple[str, ForgetResult]]:
        """Ask every loaded cog, plug-ins included, to erase what it holds for ``user_id`` (whether or
        not it is switched off here); ``(feature, result)`` for each cog that holds member data."""
        results: list[tuple[str, ForgetResult]] = []
        for cog in list(self.bot.cogs.values()):
            if not isinstance(cog, WardenCog):
                continue
            try:
                result = await cog.forget_member(guild_id, user_id)
            except Exception:
                log.exception(
                    "guild %s: %s could not erase the data of %s", guild_id, type(cog).__name__, user_id
                )
                result = ForgetResult(failed=True)
            if result is not None:
                results.append((cog.feature, result))
        leftover = await self._forget_unclaimed(guild_id, user_id)
        if leftover is not None:
            results.append(("not loaded", leftover))
        return results

    async def _forget_unclaimed(self, guild_id: int, user_id: int) -> ForgetResult | None:
        """The core's own sweep after the hooks: the member's rows in the core's tables (scores and
        stored texts, queue excerpts and evidence, report reasons) that no loaded cog erased, because
        the cog that holds them is not loaded in this deployment. ``None`` when nothing was left."""
        services = self.services
        try:
            left = await services.database.run(services.scores.forget_user, guild_id, user_id)
        except Exception:
            log.exception("guild %s: the core could not erase the data of %s", guild_id, user_id)
            return ForgetResult(failed=True)
        if not any(left.values()):
            return None
        return ForgetResult(
            erased={
                "scored messages": left["scores"],
                "queue excerpts": left["queue_excerpts"],
                "report reason(s)": left["report_reasons"],
            }
        )

    # ------------------------------------------------------------------ cogs

    def _features(self) -> list[str]:
        found = {cog.feature for cog in self.bot.cogs.values() if isinstance(cog, WardenCog)}
        return sorted(found - ALWAYS_ON_COGS)

    @app_commands.command(name="cog", description="Switch a Warden feature on or off in this server.")
    @app_commands.describe(action="enable or disable", name="The feature (scoring, warnings, modqueue, ...)")
    async def cog(
        self, interaction: discord.Interaction, action: Literal["enable", "disable"], name: str
    ) -> None:
        """``/warden cog enable|disable name``."""
        guild_id = interaction.guild_id
        assert guild_id is not None
        features = self._features()
        name = name.strip().lower()
        if name in ALWAYS_ON_COGS:
            raise InvalidSettingError(name, "can't be switched off (it holds this switch)")
        if name not in features:
            raise InvalidSettingError(name, f"no such feature (features: {', '.join(features)})")
        policy = await self._policy(guild_id)
        disabled = [feature for feature in policy.disabled_cogs if feature != name]
        if action == "disable":
            disabled.append(name)
        await self._update(guild_id, "disabled_cogs", {"disabled_cogs": sorted(disabled)})
        log.info("guild %s: feature %s %sd by %s", guild_id, name, action, interaction.user.id)
        state = "off" if action == "disable" else "on"
        await self._reply(interaction, f"`{name}` is now **{state}** in this server.")

    @cog.autocomplete("name")
    async def _cog_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=feature, value=feature)
            for feature in self._features()
            if current.lower() in feature
        ][:25]
