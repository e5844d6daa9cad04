import subprocess
import sys

import pytest

from metalwire.db.engine import create_db_engine
from metalwire.settings import DEFAULT_DATABASE_URL, ConfigurationError, load_settings


def test_default_database_is_a_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METALWIRE_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.sqlite_path is not None and settings.sqlite_path.parts[-2:] == (
        "var",
        "metalwire.db",
    )


def test_a_malformed_url_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"^METALWIRE_DATABASE_URL: "):
        load_settings(database_url="not a url")
    with pytest.raises(ConfigurationError, match="unsupported database 'mysql'"):
        load_settings(database_url="mysql://localhost/x")
    with pytest.raises(ConfigurationError, match=r"^METALWIRE_TIMEZONE: unknown timezone"):
        load_settings(timezone="Mars/Olympus")


def test_an_unreachable_database_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"^METALWIRE_DATABASE_URL: cannot connect to"):
        create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/nowhere")


@pytest.mark.parametrize(
    "url",
    [
        "nonsense://",
        "postgresql+psycopg://nobody@127.0.0.1:1/nowhere",
        "sqlite:////proc/forbidden/x.db",
    ],
)
def test_cli_exits_2_with_one_line_for_a_bad_database_url(url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "metalwire", "db", "upgrade"],
        env={"METALWIRE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: METALWIRE_DATABASE_URL: ")
    assert "Traceback" not in result.stderr
