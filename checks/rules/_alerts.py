"""What the alert-rule checks share: where else a rule they report on is written. Used by RBH202 and
RBH203."""

from __future__ import annotations

from rbh.inventory import Alert


def also_at(alert: Alert) -> str:
    """Where else the same rule is written (a rule file copied into a ConfigMap's data, see
    ``sources.prometheus``): the finding is made once, the copies named so that the fix reaches them
    all. Empty for a rule written once."""
    if not alert.copies:
        return ""
    shown = ", ".join(f"{c.path}:{c.line}" for c in alert.copies[:3])
    return f" (the same rule is also at {shown}{', ...' if len(alert.copies) > 3 else ''})"
