"""The account page's complaints section: the reader's own complaints with their answers, and
the form to log one (posted to pages/complaints.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.governance import complaints
from metalwire.governance.rules import ComplaintSubject


def complaints_context(session: Session, user: User) -> dict[str, object]:
    return {
        "complaints": complaints.own(session, user.id),  # the reader's own, never another's
        "complaint_kinds": [k.value for k in ComplaintSubject],
        "complaint_error": None,  # {"field", "text"}
        "complaint_values": {"subject_kind": "series", "subject": "", "body": ""},
    }
