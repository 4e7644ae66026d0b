"""Warden's cogs: one feature a package (``cogs/<feature>/``), discovered by convention.

A package under ``cogs/`` whose ``__init__`` defines an async ``setup(bot)`` is a cog extension and is
loaded at start-up (:func:`discover`). Its feature name, the one admins switch with
``/warden cog enable|disable NAME``, is the package name. Deployment cogs outside this package are
loaded by module path from ``WARDEN_EXTRA_COGS`` (see ``docs/writing-a-cog.md``).
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


def feature_names() -> list[str]:
    """The feature names of the discovered cogs (``scoring``, ``warnings``, ...)."""
    return [module.rsplit(".", 1)[1] for module in discover()]
