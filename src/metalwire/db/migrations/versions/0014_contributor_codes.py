"""contributor codes: the public code of each contributor, and the account linked to it

Existing contributors get their codes in order of their first submission (C-01, C-02, ...).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    contributor = op.create_table(
        "contributor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_contributor_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributor")),
        sa.UniqueConstraint("code", name=op.f("uq_contributor_code")),
        sa.UniqueConstraint("name", name=op.f("uq_contributor_name")),
        sa.UniqueConstraint("user_id", name=op.f("uq_contributor_user_id")),
    )
    connection = op.get_bind()
    names = connection.execute(
        sa.text(
            "SELECT contributor, MIN(id) AS first FROM submission "
            "GROUP BY contributor ORDER BY first"
        )
    ).all()
    now = connection.execute(sa.text("SELECT CURRENT_TIMESTAMP")).scalar_one()
    if names:
        op.bulk_insert(
            contributor,
            [
                {"name": name, "code": f"C-{n:02d}", "created_at": _utc(now)}
                for n, (name, _) in enumerate(names, start=1)
            ],
        )


def _utc(value: object) -> object:
    import datetime as dt

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def downgrade() -> None:
    op.drop_table("contributor")
