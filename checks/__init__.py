"""Staleness checks: compare what runbooks reference with the current manifests and git history."""
