"""The release events outbox: what every release writes in its own transaction (pricing,
supply and the newsroom call ``announce``). It depends on no domain, so every domain may
write to it; ``metalwire.delivery`` reads it and delivers."""
