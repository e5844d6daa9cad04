"""The ``metalwire`` command line (Typer). Each domain adds its commands in its own module."""

from metalwire.cli.main import app, main

__all__ = ["app", "main"]
