"""Moderation as plain Python (no discord.py): infractions (cases, DMs, actions, modlog, expiry), the
mod queue's rules, and the async facades the cogs use over the repositories.

- :mod:`bot.moderation.infractions`: :class:`~bot.moderation.infractions.InfractionService` runs
  apply, pardon and expire in one fixed order through a small ``ModerationActions`` protocol that the
  warnings cog implements with discord.py;
- :mod:`bot.moderation.store`: :class:`~bot.moderation.store.PolicyStore`, the per-server policy
  (cached) for async callers;
- :mod:`bot.moderation.queue`: the mod queue's rules (``cogs/modqueue``).
"""
