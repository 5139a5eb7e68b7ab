"""Clarity settings: the one place configuration is read.

Values come from `CLARITY_*` environment variables or a `.env` file in the working directory
(see `.env.example`). Nothing else in the code base reads `os.environ`; everything that needs
configuration receives a `Settings` (or a value taken from one) as an argument.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


class SettingsError(ValueError):
    """A configuration value is unusable; the message is one line a person can act on."""


class Settings(BaseSettings):
    """Runtime configuration. Defaults run everything locally with no keys or services."""

    model_config = SettingsConfigDict(
        env_prefix="CLARITY_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # Store
    database_url: str = Field(
        default="sqlite:///./var/clarity.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
    )
    var_dir: Path = Field(default=Path("var"), description="Generated files: outbox, charts.")

    # LLM (none configured → the deterministic template writer is used everywhere)
    llm_model: str | None = Field(default=None, description="Chat model name, e.g. gpt-4o-mini.")
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint.")
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 30.0
    llm_first_names: bool = Field(
        default=False,
        description="Allow patient first names in outreach drafts sent to the model.",
    )

    # Delivery
    delivery_channels: list[Literal["outbox", "email", "slack"]] = ["outbox"]
    outbox_dir: Path | None = Field(default=None, description="Defaults to VAR_DIR/outbox.")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout_seconds: float = 20.0
    email_from: str = "Clarity <briefings@clarity.example.com>"
    slack_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    app_base_url: str = "http://127.0.0.1:8000"

    # Import plausibility bounds (store/ingest/bounds.py; docs/import.md): a value beyond one
    # is rejected per row with the bound named. Amounts in dollars, durations in minutes.
    import_max_line_amount: float = Field(
        default=250_000, gt=0, description="Sale line, service price/cost, membership price."
    )
    import_max_duration_minutes: int = Field(default=1_440, gt=0, description="Appointment.")
    import_max_shift_minutes: int = Field(default=1_440, gt=0, description="Shift per day.")
    import_max_pay: float = Field(
        default=1_000_000, gt=0, description="Each pay component of one period."
    )
    import_max_spend: float = Field(
        default=1_000_000, gt=0, description="One marketing-spend row (a day or a month)."
    )

    # Time
    default_timezone: str = "America/New_York"
    briefing_hour_local: int = Field(default=7, ge=0, le=23)
    briefing_grace_hours: float = Field(
        default=4, ge=0, description="A scheduled briefing this late still runs; older: skipped."
    )

    # Targets the findings measure gaps against (fractions; defaults: the seed's ranges, see
    # tools/targets.py). Findings name the target they used.
    target_rebooking_rate: float = Field(default=0.60, gt=0, lt=1)
    target_no_show_rate: float = Field(default=0.175, gt=0, lt=1)
    target_utilization: float = Field(default=0.65, gt=0, lt=1)
    target_comp_low: float = Field(default=0.35, gt=0, lt=1)
    target_comp_high: float = Field(default=0.50, gt=0, lt=1)
    target_comp_midpoint: float = Field(default=0.40, gt=0, lt=1)
    target_comp_retention_risk: float = Field(default=0.30, gt=0, lt=1)
    target_retention_12m: float = Field(default=0.35, gt=0, lt=1)

    # Web app
    host: str = "127.0.0.1"
    port: int = 8000
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs session and CSRF cookies; unset → one generated under VAR_DIR.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ValueError(
                f"unsupported database URL scheme {scheme or value!r}; "
                f"use one of {', '.join(s + '://' for s in SUPPORTED_DATABASE_SCHEMES)}"
            )
        if scheme == "postgresql":
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @property
    def resolved_outbox_dir(self) -> Path:
        """Where the file outbox writes messages (`*.eml`, `*.slack.json`, `*.sms.json`)."""
        return self.outbox_dir or self.var_dir / "outbox"

    @property
    def llm_configured(self) -> bool:
        """True when a chat model is configured; otherwise template writers are used."""
        return bool(self.llm_model)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning validation errors into one-line errors."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"CLARITY_{field.upper()}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for entry points (CLI, API app factory); never used by libraries."""
    return load_settings()
