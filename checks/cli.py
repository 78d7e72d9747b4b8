"""CLI commands of the checks package (placeholder until the checks engine lands)."""
COMMANDS: list = []
