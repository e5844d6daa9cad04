"""methodology governance: versions, consultations and comments, complaints

Methodology versions from 2 on (version 1 of every family is the packaged document and has no
row), the consultations that propose, open and decide a change with their comments, and the
complaints readers log with their acknowledgement and answer.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import metalwire.db.base

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "methodology_consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("proposed_text", sa.Text(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "proposed", "open", "closed", "decided", name="stage", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.String(length=320), nullable=False),
        sa.Column("proposed_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "adopted", "amended", "withdrawn", name="outcome", native_enum=False, length=32
            ),
            nullable=True,
        ),
        sa.Column("decision_rationale", sa.Text(), nullable=True),
        sa.Column("response_to_comments", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_methodology_consultation")),
    )
    op.create_index(
        op.f("ix_methodology_consultation_family"), "methodology_consultation", ["family"]
    )

    op.create_table(
        "methodology_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["methodology_consultation.id"],
            name=op.f("fk_methodology_version_consultation_id_methodology_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_methodology_version")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_methodology_version_consultation_id")),
        sa.UniqueConstraint("family", "number", name=op.f("uq_methodology_version_family")),
    )
    op.create_index(op.f("ix_methodology_version_family"), "methodology_version", ["family"])

    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum(
                "series",
                "assessment",
                "methodology",
                name="complaintsubject",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "logged",
                "acknowledged",
                "answered",
                name="complaintstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("logged_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=True),
        sa.Column("answered_at", metalwire.db.base.UTCDateTime(), nullable=True),
        sa.Column("answered_by", sa.String(length=320), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "upheld",
                "partly-upheld",
                "not-upheld",
                name="complaintoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_complaint_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    op.create_index(op.f("ix_complaint_state"), "complaint", ["state"])
    op.create_index(op.f("ix_complaint_user_id"), "complaint", ["user_id"])

    op.create_table(
        "consultation_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("created_at", metalwire.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["methodology_consultation.id"],
            name=op.f("fk_consultation_comment_consultation_id_methodology_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_consultation_comment_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_comment")),
    )
    op.create_index(
        op.f("ix_consultation_comment_consultation_id"), "consultation_comment", ["consultation_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_consultation_comment_consultation_id"), table_name="consultation_comment"
    )

    op.drop_table("consultation_comment")
    op.drop_index(op.f("ix_complaint_user_id"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_state"), table_name="complaint")

    op.drop_table("complaint")
    op.drop_index(op.f("ix_methodology_version_family"), table_name="methodology_version")

    op.drop_table("methodology_version")
    op.drop_index(op.f("ix_methodology_consultation_family"), table_name="methodology_consultation")

    op.drop_table("methodology_consultation")
