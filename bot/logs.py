"""Logging: one JSON object per line for machines (the default when stderr is not a terminal), or
plain lines for a person at a terminal. Every line carries the request or event id it belongs to;
messages never carry citizens' text, phone or ID numbers (callers log kinds and codes, not content)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
event_id_var: ContextVar[str | None] = ContextVar("event_id", default=None)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.event_id = event_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in ("request_id", "event_id"):
            if value := getattr(record, name, None):
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = [v for v in (getattr(record, "request_id", None), getattr(record, "event_id", None)) if v]
        return f"{text} [{' '.join(ids)}]" if ids else text


def setup_logging(level: int = logging.INFO) -> None:
    """LOG_FORMAT=json|text; unset: text at a terminal, JSON otherwise."""
    chosen = os.environ.get("LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
