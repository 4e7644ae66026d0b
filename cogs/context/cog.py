"""``/context``, the "Get context" message menu, ``/sources ...`` and the feed schedule.

Thin: every decision (claim picking, providers, ranking, limits, public threshold) is
:class:`bot.sources.ContextService` (``bot.services.context``); this cog turns interactions into calls
and renders the result.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_adapter.plugin import ForgetResult, WardenCheckFailure, WardenCog, member_is_moderator
from bot.discord_adapter.reporting import reply_ephemeral
from bot.errors import CogDisabledError, WardenError
from bot.sources.member_requests import policy_values
from cogs.context.render import context_embed, feedback_view, safe
from cogs.context.service import context_service

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot
    from bot.sources import ContextReply, ContextService

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
FEED_POLL_MINUTES = 5.0


class ContextUnavailableError(WardenError):
    user_message = "Source context is not configured on this bot."


async def is_moderator(bot: WardenBot, member: Any) -> bool:
    """A moderator's request is answered publicly at once: Manage Messages or a moderator role."""
    if not isinstance(member, discord.Member):
        return False
    return await member_is_moderator(bot, member)


def can_manage_sources(member: Any) -> bool:
    perms = getattr(member, "guild_permissions", None)
    return bool(perms and (perms.manage_guild or perms.manage_messages or perms.administrator))


async def _sources_check(interaction: discord.Interaction) -> bool:
    if not can_manage_sources(interaction.user):
        raise WardenCheckFailure(
            WardenError(
                "You need the **Manage Server** or **Manage Messages** permission "
                "to manage this server's sources."
            )
        )
    return True


class ContextCog(WardenCog, name="Context"):
    """Members ask for context on a claim; Warden answers with neutral links."""

    sources = app_commands.Group(
        name="sources",
        description="Manage the sources /context searches",
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    def __init__(self, bot: WardenBot) -> None:
        super().__init__(bot)
        self.menu = app_commands.ContextMenu(name="Get context", callback=self.get_context_menu)
        self.menu.guild_only = True

    @property
    def service(self) -> ContextService:
        service = context_service(self.services)
        if service is None:
            raise WardenCheckFailure(ContextUnavailableError())
        return service

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.poll_feeds.start()

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult | None:
        """``/warden forget``: the member's context requests and votes go (``None`` without the service)."""
        service = self.services.context  # the core's ContextFeature: forget_user is all this needs
        if service is None:
            return None
        return ForgetResult(erased={"context request row(s)": await service.forget_user(guild_id, user_id)})

    async def cog_unload(self) -> None:
        self.poll_feeds.cancel()
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # ------------------------------------------------------------------ feeds

    @tasks.loop(minutes=FEED_POLL_MINUTES)
    async def poll_feeds(self) -> None:
        service = context_service(self.services)
        if service is None:
            return
        try:
            # Each shard-owning process polls its own servers' feeds; the process owning shard 0 also
            # prunes the old requests (one delete for the deployment).
            stored = await service.poll_due_feeds(self.bot.owns_guild)
            if self.bot.shard_scope.primary:
                await service.prune_requests()
        except Exception:
            log.exception("feed polling failed")
            return
        if stored:
            log.info("feeds polled: %d entries stored", stored)

    @poll_feeds.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()

    # ------------------------------------------------------------------ links posted in channels

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Links posted in a channel become its article (when the server trusts the site); in proactive
        mode (off by default), check-worthy claims get a suggestion in the moderators' channel."""
        if message.guild is None or message.author.bot or not (message.content or "").strip():
            return
        service = context_service(self.services)
        has_link = "http" in message.content
        if service is None or not (has_link or service.settings.proactive):
            return
        if not await self.enabled_in(message.guild.id):
            return
        if has_link:
            try:
                await service.note_posted_links(
                    message.guild.id, message.channel.id, message.content, author_id=message.author.id
                )
            except Exception:
                log.exception("could not note a posted link")
        # The deployment's switch: proactive suggestions cost provider calls; a server's policy can
        # switch them off for itself (``proactive = false`` in its [context], applied in suggest()).
        if service.settings.proactive:
            try:
                await self._suggest(service, message)
            except Exception:
                log.exception(
                    "proactive context suggestion failed for message %s in guild %s",
                    message.id,
                    message.guild.id,
                )

    async def _suggest(self, service: ContextService, message: discord.Message) -> None:
        assert message.guild is not None
        policies = self.services.policies
        if policies is None:
            return
        policy = await policies.get(message.guild.id)
        if policy.watched_channels and message.channel.id not in policy.watched_channels:
            return
        queue = message.guild.get_channel(policy.queue_channel_id) if policy.queue_channel_id else None
        if not isinstance(queue, discord.TextChannel):
            return
        result = await service.suggest(
            message.content,
            guild_id=message.guild.id,
            channel_id=message.channel.id,
            server=await policy_values(policies, message.guild.id),
        )
        if result is None:
            return
        embed = context_embed(result)
        embed.title = "Check-worthy claim: sources that may be relevant"
        embed.description = (  # <#id>: the mention of a server channel or thread
            f"{message.author.mention} in <#{message.channel.id}> ([message]({message.jump_url}))\n"
            + (embed.description or "")
        )
        await queue.send(embed=embed, allowed_mentions=NONE)

    # ------------------------------------------------------------------ asking for context

    async def get_context_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Message menu "Get context": sources for the claim in that message."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await self.enabled_in(interaction.guild_id):
            raise WardenCheckFailure(CogDisabledError(self.feature, interaction.guild_id))
        if not (message.content or "").strip():
            await reply_ephemeral(interaction, "That message has no text to look up.")
            return
        reply = await self.service.request_context(
            message.content,
            guild_id=interaction.guild_id or 0,
            requester_id=interaction.user.id,
            channel_id=message.channel.id,
            message_id=message.id,
            target_author_id=message.author.id,
            is_moderator=await is_moderator(self.bot, interaction.user),
            server=await policy_values(self.services.policies, interaction.guild_id),
        )
        await self._answer(interaction, reply, target=message)

    @app_commands.command(name="context", description="Find sources that may be relevant to a claim")
    @app_commands.describe(claim="The claim (or a whole message: Warden picks the checkable sentence)")
    @app_commands.guild_only()
    async def context_command(
        self, interaction: discord.Interaction, claim: app_commands.Range[str, 3, 1500]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self.service.request_context(
            claim,
            guild_id=interaction.guild_id or 0,
            requester_id=interaction.user.id,
            channel_id=interaction.channel_id,
            is_moderator=await is_moderator(self.bot, interaction.user),
            server=await policy_values(self.services.policies, interaction.guild_id),
        )
        await self._answer(interaction, reply, target=None)

    async def _answer(
        self, interaction: discord.Interaction, reply: ContextReply, target: discord.Message | None
    ) -> None:
        if reply.refusal is not None or reply.result is None:
            text = reply.refusal.message if reply.refusal else "No context could be found right now."
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
            return
        embed = context_embed(reply.result)
        view = feedback_view(reply.request_id) if reply.request_id is not None else discord.utils.MISSING
        if reply.public and target is not None:
            try:
                posted = await target.reply(
                    embed=embed, view=view, allowed_mentions=NONE, mention_author=False
                )
            except discord.HTTPException as exc:
                log.warning("could not post context publicly: %s", exc)
                if reply.request_id is not None:
                    await self.service.demote_public(reply.request_id)
            else:
                await interaction.followup.send(
                    f"Several members asked, so the sources were posted under the message: {posted.jump_url}",
                    ephemeral=True,
                    allowed_mentions=NONE,
                )
                return
        note = ""
        if reply.already_public and target is not None:
            note = "Sources were already posted under this message; here they are again, just for you."
        await interaction.followup.send(
            note or discord.utils.MISSING, embed=embed, view=view, ephemeral=True, allowed_mentions=NONE
        )

    # ------------------------------------------------------------------ /sources

    async def _guarded(self, interaction: discord.Interaction) -> int:
        await _sources_check(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        return interaction.guild_id or 0

    @sources.command(name="add", description="Add an article (a web page) to this server's sources")
    @app_commands.describe(url="The article's address (http or https)")
    async def sources_add(self, interaction: discord.Interaction, url: str) -> None:
        from bot.sources.ingest import IngestError

        guild_id = await self._guarded(interaction)
        try:
            added = await self.service.add_url(url, guild_id=guild_id, added_by=interaction.user.id)
        except IngestError as exc:
            await reply_ephemeral(interaction, f"Could not add that page: {safe(str(exc), 200)}")
            return
        rating = f" (publisher's rating: “{safe(added.rating, 80)}”)" if added.rating else ""
        await reply_ephemeral(
            interaction, f"Added source #{added.id} [{added.kind}]: {safe(added.title, 200)}{rating}"
        )

    @sources.command(name="feed", description="Follow an RSS/Atom feed (polled on a schedule)")
    @app_commands.describe(url="The feed's address (http or https)")
    async def sources_feed(self, interaction: discord.Interaction, url: str) -> None:
        from bot.sources.ingest import IngestError

        guild_id = await self._guarded(interaction)
        try:
            feed_id, stored = await self.service.add_feed(
                url, guild_id=guild_id, added_by=interaction.user.id
            )
        except IngestError as exc:
            await reply_ephemeral(interaction, f"Could not add that feed: {safe(str(exc), 200)}")
            return
        await reply_ephemeral(interaction, f"Following feed #{feed_id}; {stored} articles stored so far.")

    @sources.command(name="list", description="List this server's sources and feeds")
    async def sources_list(self, interaction: discord.Interaction) -> None:
        guild_id = await self._guarded(interaction)
        rows = await self.service.list_sources(guild_id, limit=20)
        feeds = await self.service.list_feeds(guild_id)
        lines = [
            f"#{r.id} · {r.kind} · {safe(r.domain, 40)} · {safe(r.title, 80)}"
            + (" (all servers)" if r.guild_id == 0 else "")
            for r in rows
        ]
        embed = discord.Embed(
            title="Sources",
            description="\n".join(lines) or "No sources yet.",
            colour=discord.Colour.light_grey(),
        )
        if feeds:
            embed.add_field(
                name="Feeds",
                value="\n".join(
                    f"#{f.id} · {safe(f.url, 100)} · last polled {f.last_polled or 'never'}"
                    for f in feeds[:10]
                )[:1024],
                inline=False,
            )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NONE)

    @sources.command(name="remove", description="Remove one of this server's sources by id")
    @app_commands.describe(id="The source id from /sources list")
    async def sources_remove(self, interaction: discord.Interaction, id: int) -> None:
        guild_id = await self._guarded(interaction)
        if await self.service.remove_source(id, guild_id=guild_id):
            await reply_ephemeral(interaction, f"Removed source #{id}.")
        else:
            await reply_ephemeral(interaction, f"This server has no source #{id}.")

    @sources.command(name="article", description="Set the article this channel is discussing")
    @app_commands.describe(url="The article's address (http or https)")
    async def sources_article(self, interaction: discord.Interaction, url: str) -> None:
        from bot.sources.ingest import IngestError

        guild_id = await self._guarded(interaction)
        try:
            added = await self.service.set_channel_article(
                guild_id, interaction.channel_id or 0, url, set_by=interaction.user.id
            )
        except IngestError as exc:
            await reply_ephemeral(interaction, f"Could not use that article: {safe(str(exc), 200)}")
            return
        await reply_ephemeral(
            interaction,
            f"This channel now discusses: {safe(added.title, 200)} (source #{added.id}). "
            "It is searched first for context requests here.",
        )
