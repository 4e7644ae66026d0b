"""Warden: a moderation bot for Discord communities that discuss the news.

``bot`` is the core. Only ``bot/client.py`` (the Bot subclass and composition root) and
``bot/__main__.py`` import discord.py; pipeline, scoring, policy, storage and sources are plain Python.
"""

__version__ = "0.1.0"
