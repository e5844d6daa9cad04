"""alerts: price-move rules, report subscriptions, and the record of what was mailed

Merges the markets (0005) and newsroom (0006) heads.

Revision ID: 0007
Revises: 0005, 0006
Create Date: 2026-11-26 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("sent_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_alert_delivery_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("user_id", "subject", name=op.f("uq_alert_delivery_user_id")),
    )
    op.create_table(
        "report_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_report_subscription_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscription")),
        sa.UniqueConstraint("user_id", "group_code", name=op.f("uq_report_subscription_user_id")),
    )
    op.create_table(
        "price_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("threshold_pct", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["price_series.id"], name=op.f("fk_price_alert_series_id_price_series")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_price_alert_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_alert")),
        sa.UniqueConstraint("user_id", "series_id", name=op.f("uq_price_alert_user_id")),
    )
    with op.batch_alter_table("price_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_alert_series_id"), ["series_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("price_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_alert_series_id"))

    op.drop_table("price_alert")
    op.drop_table("report_subscription")
    op.drop_table("alert_delivery")
