"""Every route declares how the access gate applies to it; a test fails for a route without one.

``public``    reference data anyone may read (catalog, series definitions, methodology)
``gated``     published values: embargo, tier, group and history decided by accounts.gate
``staff``     the desk: unreleased work, analysts and editors only
``account``   the caller's own account
``write``     changes state: needs a role and an API-key scope (accounts.gate.may_act)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

AccessRule = Literal["public", "gated", "staff", "account", "write"]
F = TypeVar("F", bound=Callable[..., object])


def access(rule: AccessRule) -> Callable[[F], F]:
    def mark(endpoint: F) -> F:
        endpoint.__access__ = rule  # type: ignore[attr-defined]
        return endpoint

    return mark


def rule_of(endpoint: Callable[..., object]) -> AccessRule | None:
    return getattr(endpoint, "__access__", None)
