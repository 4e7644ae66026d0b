"""Warden's cogs: one feature a package (``cogs/<feature>/``), each a discord.py extension.

A package under ``cogs/`` whose ``__init__`` defines an async ``setup(bot)`` is a cog extension; the
bot loads the built-in ones by name (:data:`bot.settings.BUILT_IN_COGS`; :func:`discover` lists the
packages here, and a test checks the two agree). Its feature name, the one admins switch with
``/warden cog enable|disable NAME``, is the package name. Deployment cogs outside this package are
loaded by module path from ``WARDEN_EXTRA_COGS`` (see ``docs/writing-a-cog.md``). Cogs build on
:mod:`bot.discord_adapter.plugin` and never import each other.
"""

from __future__ import annotations

import importlib
import pkgutil


def discover() -> list[str]:
    """Module paths of every cog package here that has a ``setup`` function, sorted by name."""
    found: list[str] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        if not info.ispkg or info.name.startswith("_"):
            continue
        name = f"{__name__}.{info.name}"
        module = importlib.import_module(name)
        if callable(getattr(module, "setup", None)):
            found.append(name)
    return found
