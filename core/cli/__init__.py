"""The `oyna` command."""

from core.cli.main import main

__all__ = ["main"]
