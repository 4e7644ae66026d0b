"""Example deployment cogs, loaded by module path (``WARDEN_EXTRA_COGS=examples.cogs.decision_logger``)."""
