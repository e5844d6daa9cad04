"""audit: a hash chain over the trail, backfilled for the events already recorded

Every event gets the hash of the event before it and its own hash (metalwire.audit_chain), so
that a change made around the append-only triggers is found by ``metalwire audit verify``. The
existing events are chained in id order; the triggers that refuse UPDATE are dropped for the
backfill and made again, within this migration's one transaction.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base
from metalwire.audit_chain import event_hash

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns as the application reads them (aware UTC times, parsed JSON), so the backfill
# hashes exactly what `audit verify` will recompute.
audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("at", metalwire.db.base.UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill()
    _make_append_only()


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            audit_event.c.id,
            audit_event.c.at,
            audit_event.c.actor,
            audit_event.c.action,
            audit_event.c.object_type,
            audit_event.c.object_id,
            audit_event.c.before,
            audit_event.c.after,
        ).order_by(audit_event.c.id)
    ).all()
    prev: str | None = None
    links = []
    for row in rows:
        digest = event_hash(prev_hash=prev, **row._asdict())
        links.append({"row_id": row.id, "prev_hash": prev, "hash": digest})
        prev = digest
    if links:
        bind.execute(
            audit_event.update()
            .where(audit_event.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")),
            links,
        )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")


def _make_append_only() -> None:
    # As in 0001; on PostgreSQL the trigger function was kept and is used again.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column, which loses its triggers: make them again.
    _drop_append_only()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    _make_append_only()
