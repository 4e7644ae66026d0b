"""Offline replay of a thread: what Warden would have done, message by message, with no Discord.

``bot.replay.reader`` reads thread files; ``bot.replay.engine`` runs them through the pipeline.
"""
