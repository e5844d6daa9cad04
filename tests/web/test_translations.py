"""Every UI string has a Chinese translation, and every placeholder survives translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "src/metalwire/locale/zh/LC_MESSAGES/messages.po"


def test_catalog_is_complete_against_the_templates(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_t:2",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    with pot.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated[key] = strings
    untranslated = sorted(wanted - set(translated))
    assert untranslated == [], f"untranslated UI strings (run `make messages`): {untranslated}"
    for key, strings in translated.items():
        placeholders = set(re.findall(r"%\(\w+\)[sd]", key))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", string)) == placeholders, key
