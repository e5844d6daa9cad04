"""catalog lifecycle: index definition versions with effective dates; series changes

Series changes (release time, tier, discontinuation) from an effective date, with their public
notices (``series_change``), and on each series the same changes read with its row
(``price_series.changes``).

Every index definition keeps its versions: the definition loaded so far becomes version
``index_definition.version``, in force from the beginning (1900-01-01).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "index_definition_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("recorded_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_definition_version")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_index_definition_version_code")),
    )
    op.create_index(
        op.f("ix_index_definition_version_code"),
        "index_definition_version",
        ["code"],
        unique=False,
    )
    op.execute(
        "INSERT INTO index_definition_version "
        "(code, version, effective_from, definition, recorded_at, actor) "
        "SELECT code, version, '1900-01-01', definition, updated_at, 'migration' "
        "FROM index_definition"
    )

    # A plain ADD COLUMN (no table rebuild: other tables' rows refer to price_series).
    op.add_column(
        "price_series", sa.Column("changes", sa.JSON(), server_default="[]", nullable=False)
    )
    op.create_table(
        "series_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "create",
                "release-time",
                "tier",
                "discontinue",
                name="serieschangekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("before", sa.String(length=64), nullable=True),
        sa.Column("after", sa.String(length=64), nullable=True),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("announced_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["price_series.id"], name=op.f("fk_series_change_series_id_price_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_change")),
    )
    op.create_index(op.f("ix_series_change_series_id"), "series_change", ["series_id"])
    op.create_index(op.f("ix_series_change_announced_at"), "series_change", ["announced_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_series_change_announced_at"), table_name="series_change")
    op.drop_index(op.f("ix_series_change_series_id"), table_name="series_change")
    op.drop_table("series_change")
    op.drop_column("price_series", "changes")
    op.drop_index(op.f("ix_index_definition_version_code"), table_name="index_definition_version")
    op.drop_table("index_definition_version")
