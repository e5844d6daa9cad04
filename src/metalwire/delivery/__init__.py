"""Release-time delivery: release events written through an outbox in the transaction that
releases, and their delivery to webhooks, e-mail and live streams by ``metalwire worker``."""
