"""Alerts: a reader's price-move rules and report subscriptions, e-mailed through the gate."""
