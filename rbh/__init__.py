"""runbook-health: find the right runbook section fast, and know whether to trust it."""

__version__ = "0.1.0"
