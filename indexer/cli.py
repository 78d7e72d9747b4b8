"""CLI commands of the indexer package (placeholder until the indexer lands)."""
COMMANDS: list = []
