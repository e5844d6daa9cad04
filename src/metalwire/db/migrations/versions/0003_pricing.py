"""pricing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 05:03:51.017776
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("market_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "approved", name="assessmentstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("low", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("high", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("mid", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("vwap", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("change", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("change_pct", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "transaction-based",
                "spread-based",
                "interpolated",
                "carried-forward",
                "judgment",
                name="method",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("carried_forward", sa.Boolean(), nullable=False),
        sa.Column("deals_used", sa.Integer(), nullable=False),
        sa.Column("volume_used", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("approved_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.Column("release_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["app_user.id"], name=op.f("fk_assessment_approver_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["app_user.id"], name=op.f("fk_assessment_assessor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["price_series.id"], name=op.f("fk_assessment_series_id_price_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint(
            "series_id", "market_date", "version", name=op.f("uq_assessment_series_id")
        ),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_release_at"), ["release_at"], unique=False)
        batch_op.create_index(
            "ix_assessment_series_date", ["series_id", "market_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_status"), ["status"], unique=False)

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("market_date", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "deal",
                "bid",
                "offer",
                "indication",
                name="submissionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("low", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("high", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("volume", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("contributor", sa.String(length=200), nullable=False),
        sa.Column("received_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("adjustment", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("entered_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["price_series.id"], name=op.f("fk_submission_series_id_price_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_submission_fingerprint")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_series_date", ["series_id", "market_date"], unique=False
        )

    op.create_table(
        "submission_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("excluded_by", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_exclusion_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_exclusion")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_submission_exclusion_submission_id")),
    )


def downgrade() -> None:
    op.drop_table("submission_exclusion")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_series_date")

    op.drop_table("submission")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_status"))
        batch_op.drop_index("ix_assessment_series_date")
        batch_op.drop_index(batch_op.f("ix_assessment_release_at"))

    op.drop_table("assessment")
