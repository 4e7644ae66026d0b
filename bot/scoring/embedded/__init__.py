"""Warden's own six-label toxicity model (the ``embedded`` scorer backend); weights live in ``artifacts/``.

Importing this package is cheap: numpy, sklearn and torch load when ``EmbeddedBackend`` is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.scoring.embedded.backend import EmbeddedBackend

__all__ = ["EmbeddedBackend"]


def __getattr__(name: str) -> Any:
    if name == "EmbeddedBackend":
        from bot.scoring.embedded.backend import EmbeddedBackend

        return EmbeddedBackend
    raise AttributeError(name)
