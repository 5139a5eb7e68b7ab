from __future__ import annotations

from pathlib import Path

import pytest

from clarity.settings import Settings, SettingsError, load_settings
from store.db import make_engine


def test_defaults_need_no_keys_or_services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = Settings()
    assert settings.database_url == "sqlite:///./var/clarity.db"
    assert settings.llm_configured is False
    assert settings.delivery_channels == ["outbox"]
    assert settings.resolved_outbox_dir == Path("var/outbox")


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CLARITY_LLM_MODEL=gpt-test\nCLARITY_SMTP_PORT=2525\n")
    monkeypatch.setenv("CLARITY_SMTP_PORT", "465")
    settings = Settings()
    assert settings.llm_model == "gpt-test"  # from .env
    assert settings.smtp_port == 465  # the environment wins over .env


def test_plain_postgresql_url_uses_psycopg3() -> None:
    settings = load_settings(database_url="postgresql://u@localhost/db")
    assert settings.database_url == "postgresql+psycopg://u@localhost/db"


def test_unknown_database_scheme_is_one_clear_line() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(database_url="mysql://root@localhost/clarity")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("CLARITY_DATABASE_URL: unsupported database URL scheme 'mysql'")


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(SettingsError, match="CLARITY_DEFAULT_TIMEZONE: unknown IANA time zone"):
        load_settings(default_timezone="Mars/Olympus")


def test_unwritable_sqlite_path_is_refused() -> None:
    with pytest.raises(SettingsError, match="cannot create directory /proc/clarity"):
        make_engine("sqlite:////proc/clarity/clarity.db")
