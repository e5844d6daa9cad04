"""Methodology governance (IOSCO principles 11, 12 and 16): numbered methodology versions with
effective dates, changes consulted on and decided in public, and complaints answered with an
audit trail. ``rules`` is pure; ``versions``, ``consultations`` and ``complaints`` are the
services (one transaction each, every step on the audit trail)."""
