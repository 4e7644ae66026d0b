"""Warden: a moderation bot for Discord communities that discuss the news.

``bot`` is the core. Only :mod:`bot.discord_adapter` (the client, the composition root and the plug-in
API cogs build on) and ``bot/__main__.py`` import discord.py; pipeline, scoring, policy, storage,
sources and moderation are plain Python.
"""

__version__ = "0.1.0"
