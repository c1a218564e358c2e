"""What the intelligence app adds to the shared registries (from ``IntelligenceConfig.ready()``)."""

from __future__ import annotations


def register() -> None:
    pass
