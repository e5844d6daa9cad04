"""governance in Chinese: the Chinese beside each English text of a consultation and a version

A consultation's title, summary, rationale and proposed text, its decision's rationale and
response to comments, and a version's summary and text, each in Chinese. Nullable: the rows
made before are English only and read in English on the Chinese pages (marked lang="en").

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSULTATION = (
    ("title_zh", sa.String(length=200)),
    ("summary_zh", sa.Text()),
    ("rationale_zh", sa.Text()),
    ("proposed_text_zh", sa.Text()),
    ("decision_rationale_zh", sa.Text()),
    ("response_to_comments_zh", sa.Text()),
)
VERSION = (("summary_zh", sa.Text()), ("text_zh", sa.Text()))


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild: versions and comments refer to the consultations).
    for name, kind in CONSULTATION:
        op.add_column("methodology_consultation", sa.Column(name, kind, nullable=True))
    for name, kind in VERSION:
        op.add_column("methodology_version", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(VERSION):
        op.drop_column("methodology_version", name)
    for name, _ in reversed(CONSULTATION):
        op.drop_column("methodology_consultation", name)
