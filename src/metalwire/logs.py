"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to.

The request id lives in a context variable set by ``web/request_log.py``; the thread pool that
runs synchronous routes copies the context, so a warning logged deep in a route (the checkout
ledger's, say) names the request that caused it. ``metalwire serve`` installs this configuration
in every worker (``logging_config``); tests and embedders keep their own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Any, Literal

LogFormat = Literal["json", "text"]
ACCESS_LOGGER = "metalwire.access"

request_id: ContextVar[str | None] = ContextVar("metalwire_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (None outside a request).

    Put on the handler, not a logger: a logger's filters see only records logged on it, not those
    propagated from its children (``metalwire.db``, ``metalwire.web``...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "request_id", ...}``: an access record's fields (its ``http``
    attribute) replace the message; any other record says ``message`` (and ``exc``)."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
        }
        http = getattr(record, "http", None)
        if http is not None:
            fields.update(http)
        else:
            fields["message"] = record.getMessage()
            fields["pid"] = record.process
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return json.dumps(fields, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a terminal: ``ts level logger [request id] message``."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name} [{rid or '-'}] "
        line += record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def logging_config(log_format: LogFormat, access_log: bool) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn (``log_config=``), applied in each worker.

    uvicorn's error log goes through the same handler; its access log is not used (our access
    records replace it). With ``access_log`` false the access logger is raised above INFO, so the
    middleware skips building the record at all."""
    formatter = (
        "metalwire.logs.JsonFormatter" if log_format == "json" else ("metalwire.logs.TextFormatter")
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "default",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": {"()": formatter}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "metalwire": {"handlers": ["default"], "level": "INFO", "propagate": False},
            ACCESS_LOGGER: {"level": "INFO" if access_log else "WARNING"},
        },
        # Libraries' warnings (SQLAlchemy, httpx...) in the same format, not Python's bare
        # last-resort lines.
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
