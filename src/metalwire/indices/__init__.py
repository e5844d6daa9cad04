"""Composite price indices: index definitions and the pure engine that computes their values."""
