"""The shape of a code: a commodity, a price series, an instrument and an index constituent are
all named alike, so a constituent or a window input can name a published series."""

from __future__ import annotations

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9.\-]{1,63}$"
