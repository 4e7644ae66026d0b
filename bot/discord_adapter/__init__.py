"""The Discord adapter: the one layer of ``bot`` that imports discord.py, and that cogs build on.

- :mod:`~bot.discord_adapter.plugin`: the plug-in API (:class:`WardenCog`, the events, the shared
  helpers; ``docs/writing-a-cog.md``);
- :mod:`~bot.discord_adapter.client`: :class:`WardenBot`, the client (command tree, lifecycle,
  per-server feature switches);
- :mod:`~bot.discord_adapter.factory`: :func:`create_bot`, the composition root (services,
  cross-feature wiring, the cogs by name);
- :mod:`~bot.discord_adapter.checks`: run-time permission, moderator and role-hierarchy checks;
- :mod:`~bot.discord_adapter.reporting`: the one error policy for interactions (:func:`report_error`);
- :mod:`~bot.discord_adapter.render`: member text made safe to echo; the case DM and modlog embeds;
- :mod:`~bot.discord_adapter.actions`: :class:`DiscordActions`, the infraction service's Discord side;
- :mod:`~bot.discord_adapter.appeal`: the persistent Appeal button on case DMs.

The adapter never imports a cog: cogs are discord.py extensions loaded by their dotted names
(:data:`bot.settings.BUILT_IN_COGS`, ``WARDEN_EXTRA_COGS``). The rest of ``bot`` (pipeline, scoring,
policy, storage, sources, moderation) is plain Python and loads no discord.py. This package imports
nothing on its own: import the module you need.
"""
