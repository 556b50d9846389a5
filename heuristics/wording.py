"""Plain words for measured quantities in findings."""

from __future__ import annotations


def spoken_duration(seconds: float) -> str:
    """``95`` -> "95 seconds", ``5400`` -> "90 minutes", ``86400`` -> "24 hours", then days."""
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds // 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds // 3600:.0f} hours"
    return f"{seconds // 86400:.0f} days"
