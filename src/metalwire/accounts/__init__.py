"""Accounts: users, roles, plans and entitlements, API keys, web sessions, and the access gate."""
