"""A survey's names in both languages the platform publishes in (pure).

Every page, report, feed and mail names a survey in the reader's language, so a survey has an
English and a Chinese name from its creation: a Chinese name is written in Chinese (an English
name in its place would put English into every Chinese report), and a name left out is made
from the catalog entry's, never copied from the other language.
"""

from __future__ import annotations

from metalwire.i18n import has_chinese

NAME_LIMIT = 300


class NameProblem(ValueError):
    """A name that cannot be a survey's, with the field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def default_names(entry_en: str, entry_zh: str) -> tuple[str, str]:
    """The names of a survey of a catalog entry given none: "Silver output survey",
    "白银产量调查"."""
    return f"{entry_en} output survey", f"{entry_zh}产量调查"


def survey_names(
    name_en: str | None, name_zh: str | None, *, entry_en: str, entry_zh: str
) -> tuple[str, str]:
    """The English and the Chinese name of a survey: as given (trimmed), each one left out made
    from the entry's names; a Chinese name without a Chinese character is refused."""
    made_en, made_zh = default_names(entry_en, entry_zh)
    en = (name_en or "").strip() or made_en
    zh = (name_zh or "").strip() or made_zh
    for field, name in (("name_en", en), ("name_zh", zh)):
        if len(name) > NAME_LIMIT:
            raise NameProblem(field, f"at most {NAME_LIMIT} characters, got {len(name)}")
    if not has_chinese(zh):
        raise NameProblem(
            "name_zh",
            f"the Chinese name must be written in Chinese, got {zh!r} (e.g. 中国银锭产量)",
        )
    return en, zh
