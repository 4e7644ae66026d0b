"""The one seed every training step uses (samplers, templates, torch)."""

SEED = 13
