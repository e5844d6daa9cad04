"""A deterministic demo market, built only through the platform's real services."""
