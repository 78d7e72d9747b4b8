"""runbook-health: find the right runbook section fast, and know whether to trust it."""

__version__ = "0.2.0.dev0"
