"""supply

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:18:18.490593
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column(
            "tier",
            sa.Enum("free", "premium", name="tier", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("producer_types", sa.JSON(), nullable=False),
        sa.Column("national_capacity", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("main_share", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("release_time", sa.Time(), nullable=False),
        sa.Column("premium_series", sa.String(length=64), nullable=True),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["catalog_entry.id"], name=op.f("fk_survey_entry_id_catalog_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_code")),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "respondent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=False),
        sa.Column("producer_type", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_respondent_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_respondent")),
        sa.UniqueConstraint("survey_id", "code", name=op.f("uq_respondent_survey_id")),
    )
    with op.batch_alter_table("respondent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_respondent_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "survey_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("preliminary", "final", name="releasestatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("release_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_release_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_release")),
        sa.UniqueConstraint(
            "survey_id", "period", "version", name=op.f("uq_survey_release_survey_id")
        ),
    )
    with op.batch_alter_table("survey_release", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_release_release_at"), ["release_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_release_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("production", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("inventory", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("forecast_next", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=320), nullable=False),
        sa.Column("received_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondent.id"],
            name=op.f("fk_survey_return_respondent_id_respondent"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_return_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_return")),
        sa.UniqueConstraint("respondent_id", "period", name=op.f("uq_survey_return_respondent_id")),
    )
    with op.batch_alter_table("survey_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_return_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_return_survey_id"), ["survey_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_return_survey_id"))
        batch_op.drop_index(batch_op.f("ix_survey_return_period"))

    op.drop_table("survey_return")
    with op.batch_alter_table("survey_release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_release_survey_id"))
        batch_op.drop_index(batch_op.f("ix_survey_release_release_at"))

    op.drop_table("survey_release")
    with op.batch_alter_table("respondent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_respondent_survey_id"))

    op.drop_table("respondent")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_entry_id"))

    op.drop_table("survey")
