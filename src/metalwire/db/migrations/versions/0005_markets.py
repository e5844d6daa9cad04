"""markets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 06:00:16.038582
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "index_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_definition")),
        sa.UniqueConstraint("code", name=op.f("uq_index_definition_code")),
    )
    op.create_table(
        "instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("exchange", sa.String(length=32), nullable=False),
        sa.Column("contract_month", sa.String(length=7), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("vat_inclusive", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument")),
        sa.UniqueConstraint("code", name=op.f("uq_instrument_code")),
    )
    op.create_table(
        "market_price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settle", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("volume", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("open_interest", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("recorded_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("entered_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
            name=op.f("fk_market_price_instrument_id_instrument"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_price")),
        sa.UniqueConstraint(
            "instrument_id", "date", "version", name=op.f("uq_market_price_instrument_id")
        ),
    )
    with op.batch_alter_table("market_price", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_market_price_instrument_id"), ["instrument_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("market_price")
    op.drop_table("instrument")
    op.drop_table("index_definition")
