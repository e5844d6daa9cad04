"""What a plan entitles, as plain data (pure: no database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PlanSpec(BaseModel):
    """One plan as written in accounts/data/plans.yaml."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")
    name_en: str
    name_zh: str
    tiers: list[str]
    groups: list[str] | str = "all"
    history_days: int | None = Field(default=None, ge=0)
    export: bool = False
    api: bool = True
    rate_limit_per_minute: int = Field(ge=1)

    def entitlements(self) -> dict[str, Any]:
        return self.model_dump(exclude={"code", "name_en", "name_zh"})


@dataclass(frozen=True)
class Entitlements:
    plan: str
    tiers: frozenset[str]
    groups: frozenset[str] | None  # None: every group
    history_days: int | None  # None: the whole history
    export: bool
    api: bool
    rate_limit_per_minute: int

    @classmethod
    def from_plan(cls, code: str, data: dict[str, Any]) -> Entitlements:
        spec = PlanSpec.model_validate({"code": code, "name_en": code, "name_zh": code, **data})
        groups = None if spec.groups == "all" else frozenset(spec.groups)
        return cls(
            plan=code,
            tiers=frozenset(spec.tiers),
            groups=groups,
            history_days=spec.history_days,
            export=spec.export,
            api=spec.api,
            rate_limit_per_minute=spec.rate_limit_per_minute,
        )


# Staff work with every series over its whole history; the embargo still binds them on
# subscriber-facing routes (only the desk shows drafts).
STAFF_ENTITLEMENTS = Entitlements(
    plan="staff",
    tiers=frozenset({"free", "premium"}),
    groups=None,
    history_days=None,
    export=True,
    api=True,
    rate_limit_per_minute=6000,
)
