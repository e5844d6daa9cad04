"""A stored explanation read in the reader's language (pricing/phrases.py: explained_in): the
series page, the assessment API and the correction mail all read it this one way."""

from __future__ import annotations

from metalwire.pricing.phrases import explained_in

STORED: dict[str, object] = {
    "explanation": "Transaction-based: 4 deals, 330 t.",
    "explanation_zh": "基于成交：4笔成交，共330吨。",
    "excluded": [
        {"submission_id": 7, "price": "8100", "reason": "late", "reason_zh": "迟到"},
        {"submission_id": 8, "price": "8200", "reason": "written by an analyst"},
    ],
}


def test_chinese_where_written_english_otherwise() -> None:
    zh = explained_in(STORED, "zh")
    assert zh.text == "基于成交：4笔成交，共330吨。" and zh.lang == "zh"
    assert [x["reason"] for x in zh.excluded] == ["迟到", "written by an analyst"]
    en = explained_in(STORED, "en")
    assert en.text == "Transaction-based: 4 deals, 330 t." and en.lang == "en"
    assert [x["reason"] for x in en.excluded] == ["late", "written by an analyst"]
    # An assessment made before Chinese was written stays English, and says so.
    old = explained_in({"explanation": "Carried forward."}, "zh")
    assert old == ("Carried forward.", [], "en")
    assert explained_in({}, "zh") == ("", [], "en")
