"""foundation: catalog, price series, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-26 04:46:21.329748
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_event_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "catalog_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_group")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_group_code")),
    )
    op.create_table(
        "catalog_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["catalog_group.id"], name=op.f("fk_catalog_entry_group_id_catalog_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entry")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_entry_code")),
    )
    with op.batch_alter_table("catalog_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_entry_group_id"), ["group_id"], unique=False)

    op.create_table(
        "commodity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["catalog_entry.id"], name=op.f("fk_commodity_entry_id_catalog_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commodity")),
        sa.UniqueConstraint("code", name=op.f("uq_commodity_code")),
    )
    with op.batch_alter_table("commodity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commodity_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "price_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("commodity_id", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "outright",
                "premium",
                "index",
                "futures-settlement",
                "derived",
                name="serieskind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=300), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("release_time", sa.Time(), nullable=False),
        sa.Column("calendar", sa.String(length=16), nullable=False),
        sa.Column(
            "tier",
            sa.Enum("free", "premium", name="tier", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "discontinued", name="seriesstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("methodology", sa.String(length=64), nullable=False),
        sa.Column("vat_inclusive", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commodity_id"], ["commodity.id"], name=op.f("fk_price_series_commodity_id_commodity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_series")),
        sa.UniqueConstraint("code", name=op.f("uq_price_series_code")),
    )
    with op.batch_alter_table("price_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_series_commodity_id"), ["commodity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_price_series_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_price_series_tier"), ["tier"], unique=False)

    _make_audit_append_only()


def _make_audit_append_only() -> None:
    # The audit trail is evidence (IOSCO: keep it at least five years): refuse UPDATE and DELETE.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade() -> None:
    with op.batch_alter_table("price_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_series_tier"))
        batch_op.drop_index(batch_op.f("ix_price_series_status"))
        batch_op.drop_index(batch_op.f("ix_price_series_commodity_id"))

    op.drop_table("price_series")
    with op.batch_alter_table("commodity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commodity_entry_id"))

    op.drop_table("commodity")
    with op.batch_alter_table("catalog_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_entry_group_id"))

    op.drop_table("catalog_entry")
    op.drop_table("catalog_group")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_object")
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))

    op.drop_table("audit_event")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
