"""metalwire: open-source, self-hostable metals market intelligence."""

__version__ = "0.1.0"
