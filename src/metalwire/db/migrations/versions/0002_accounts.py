"""accounts: users, plans, api keys, sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 04:56:32.753443
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_email_at", ["email", "at"], unique=False)

    op.create_table(
        "plan",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("entitlements", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_plan")),
    )
    op.create_table(
        "rate_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_window")),
        sa.UniqueConstraint("client", "window_start", name=op.f("uq_rate_window_client")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "reader",
                "subscriber",
                "analyst",
                "editor",
                "admin",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("plan_code", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("colour_convention", sa.String(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_code"], ["plan.code"], name=op.f("fk_app_user_plan_code_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("read", "submit", "publish", name="scope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_api_key_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_user_id"), ["user_id"], unique=False)

    op.create_table(
        "password_reset_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_password_reset_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_reset_token")),
    )
    with op.batch_alter_table("password_reset_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_token_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_web_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_user_id"))

    op.drop_table("web_session")
    with op.batch_alter_table("password_reset_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_token_user_id"))

    op.drop_table("password_reset_token")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_user_id"))

    op.drop_table("api_key")
    op.drop_table("app_user")
    op.drop_table("rate_window")
    op.drop_table("plan")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_email_at")

    op.drop_table("login_attempt")
