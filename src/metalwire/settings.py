"""Configuration, read from the environment (``METALWIRE_*``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///./var/metalwire.db"


class ConfigurationError(Exception):
    """A setting is wrong; the message names the setting and is fit for one line of output."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METALWIRE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    secret_key: str = Field(
        default="dev-insecure-change-me",
        description="Signs session cookies and tokens; set a long random value in production.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = Field(default="Asia/Shanghai", description="Timezone of the desk's clock.")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public address, used in e-mailed links."
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db to count rate limits in Redis."
    )
    smtp_host: str | None = Field(default=None, description="Mail server for password resets.")
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "metalwire <no-reply@localhost>"
    # Capacity of one worker process (docs/operations.md, "Sizing workers and the pool").
    worker_threads: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Requests one worker handles at once; also its database pool size.",
    )
    fast_path_threads: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Threads of one worker for the reads of the layers in front of the framework "
        "(shared pages, histories, latest prices). Unset: 4 on SQLite (each hop wakes a thread, "
        "and fewer wake less), one per admission slot on PostgreSQL (reads wait on the network).",
    )
    queue_limit: int = Field(
        default=400,
        ge=0,
        description="Requests one worker lets wait for a free slot; beyond it: 503.",
    )
    queue_timeout: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds a request may wait for a free slot before it is answered 503.",
    )
    pool_timeout: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Seconds to wait for a database connection before answering 503.",
    )
    shutdown_timeout: float = Field(
        default=3.0,
        ge=0,
        le=60,
        description="Seconds a stopping worker lets running requests finish (SIGTERM).",
    )
    export_licence: str = Field(
        default=(
            "For the subscriber's own use under its metalwire plan; not for redistribution "
            "without a licence."
        ),
        max_length=500,
        description="The licence line every CSV/XLSX price export carries in its header block.",
    )
    keep_alive_timeout: float = Field(
        default=30.0,
        ge=1,
        le=600,
        description="Seconds an idle HTTP connection stays open for its client's next request.",
    )
    worker_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=60,
        description="`metalwire worker`'s longest sleep: how soon it sees an approval made past "
        "its release time (PostgreSQL also wakes it at once by NOTIFY).",
    )
    stream_max_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=86400,
        description="How long one live stream (/api/v1/stream) stays open; the browser "
        "reconnects by itself.",
    )
    worker_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long a delivery claimed by a worker is its own; a worker that dies "
        "holding one leaves it to another after this (the receiver sees the same delivery id).",
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Seconds a webhook receiver has to answer."
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="Let webhooks point at loopback or private addresses (tests, local use); "
        "off, such endpoints are refused (SSRF).",
    )
    webhook_retry_delays: tuple[float, ...] = Field(
        default=(10.0, 60.0, 300.0, 1800.0, 7200.0),
        min_length=1,
        description="Seconds before each retry of a failed delivery (with +-20 % jitter), as a "
        "JSON list; after the last, the delivery is dead.",
    )
    webhook_disable_after: int = Field(
        default=15,
        ge=1,
        description="Failed webhook tries in a row after which the endpoint is disabled.",
    )

    log_format: Literal["json", "text"] = Field(
        default="json",
        description="`metalwire serve`'s log lines: one JSON object each, or text for a terminal.",
    )
    access_log: bool = Field(
        default=True, description="Log one line per request (logger metalwire.access)."
    )
    metrics: bool = Field(default=True, description="Answer /metrics (Prometheus).")
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry spans, metrics and logs for the routes (with "
        "providers configured by the operator); off, the framework skips it per request.",
    )
    metrics_token: str | None = Field(
        default=None,
        description="If set, /metrics answers only `Authorization: Bearer <this token>`.",
    )

    @field_validator("database_url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r}") from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @property
    def sqlite_path(self) -> Path | None:
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation failures into one line that names the setting."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"METALWIRE_{field.upper()}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
