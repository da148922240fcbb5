"""Logging: one JSON object per line for machines (the default when stderr is not a terminal), or
plain lines for a person at a terminal. Every line carries the request or event id it belongs to;
messages never carry citizens' text, phone or ID numbers (callers log kinds and codes, not content),
and should one slip through anyway (an exception quoting what it failed on, a debug line), both
formatters mask every phone and ID number in the message, its arguments, the traceback and the
stack before the line is written."""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
import time
from contextvars import ContextVar
from typing import IO

from lookup.masking import redact

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
event_id_var: ContextVar[str | None] = ContextVar("event_id", default=None)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.event_id = event_id_var.get()
        return True


def redacted(record: logging.LogRecord, formatter: logging.Formatter) -> logging.LogRecord:
    """A copy of the record whose message (arguments merged in), traceback and stack have every
    phone and ID number masked. A copy: other handlers of the same record are left to do their own."""
    out = copy.copy(record)
    out.msg, out.args = redact(record.getMessage()), None
    if record.exc_info and not record.exc_text:
        out.exc_text = formatter.formatException(record.exc_info)
    if out.exc_text:
        out.exc_text = redact(out.exc_text)
        out.exc_info = None  # formatted once, masked: a formatter must not format the raw one again
    if record.stack_info:
        out.stack_info = redact(record.stack_info)
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        safe = redacted(record, self)
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": safe.msg,
        }
        # Our own ids, never masked: an operator finds the event by them (a 12-digit id in one is no
        # citizen's number).
        for name in ("request_id", "event_id"):
            if value := getattr(record, name, None):
                line[name] = value
        if safe.exc_text:
            line["exc"] = safe.exc_text
        if safe.stack_info:
            line["stack"] = safe.stack_info
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(redacted(record, self))
        ids = [v for v in (getattr(record, "request_id", None), getattr(record, "event_id", None)) if v]
        return f"{text} [{' '.join(ids)}]" if ids else text


def log_handler(stream: IO[str] | None = None, chosen: str | None = None) -> logging.Handler:
    """The handler every process writes its log through (stderr unless `stream`): the chosen format
    (LOG_FORMAT=json|text; unset: text at a terminal, JSON otherwise), the request and event ids."""
    chosen = chosen or os.environ.get("LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler


def setup_logging(level: int = logging.INFO) -> None:
    """The root logger writes through log_handler() only (serve, worker, emulator and the tools)."""
    root = logging.getLogger()
    root.handlers[:] = [log_handler()]
    root.setLevel(level)
