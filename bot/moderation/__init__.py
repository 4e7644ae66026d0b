"""Moderation as plain Python (no discord.py): infractions (cases, DMs, actions, modlog, expiry), the
mod queue's rules, and the async facades the cogs use over the repositories.

- :mod:`bot.moderation.use_case`: :class:`~bot.moderation.use_case.ModerateMessage`, one message's
  way from the guards to the decision event (prepare, score, history, policy, record, act, emit),
  shared by the scoring cog and the replay; its data (:class:`~bot.moderation.message.MessageInput`,
  ``Ports``) in :mod:`bot.moderation.message`, the per-member turns in :mod:`bot.moderation.ordering`;
- :mod:`bot.moderation.infractions`: :class:`~bot.moderation.infractions.InfractionService` runs
  apply, pardon and expire in one fixed order through a small ``ModerationActions`` protocol that the
  warnings cog implements with discord.py;
- :mod:`bot.moderation.store`: :class:`~bot.moderation.store.PolicyStore`, the per-server policy
  (cached) for async callers;
- :mod:`bot.moderation.infraction_types`: the request, outcome, DM and modlog types and the
  ``ModerationActions`` protocol; :mod:`bot.moderation.expiry`: the case expiry timers;
- :mod:`bot.moderation.text`: ``excerpt``, member text cut to one line for repeating;
- the mod queue (``cogs/modqueue``): :mod:`bot.moderation.queue_rules` (actions, who may act, what
  each resolves to), :mod:`bot.moderation.queue` (:class:`~bot.moderation.queue.QueueService`:
  add, claim, resolve once), :mod:`bot.moderation.queue_cards` (what an entry shows) and
  :mod:`bot.moderation.report_limits` (the "Report to moderators" rate limit).
"""
