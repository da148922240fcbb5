"""Logs never hold a raw phone or ID number: whatever a line says (a handler's bug quoting the
citizen's message, a traceback, a debug line with arguments), the formatters every process writes
through mask them. Callers already log kinds and codes only (test_intake checks that); this is the
net under them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.appkeys import CONVERSATION
from bot.logs import log_handler

PHONE, PHONE_INTL, ID_NUMBER = "0905123456", "+84 912 345 678", "062090001234"
RAW = ("0905123456", "912 345 678", "912345678", "062090001234")


@pytest.fixture(params=["json", "text"])
def written(request: pytest.FixtureRequest) -> Iterator[tuple[str, io.StringIO]]:
    """What the root logger writes through the handler `python -m bot serve | worker` installs."""
    stream = io.StringIO()
    handler = log_handler(stream, request.param)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield request.param, stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_a_handler_bug_quoting_the_citizens_message_is_logged_masked(live, monkeypatch, written):
    """A webhook event through the emulator, handled by the app's worker, whose handler fails on
    the message and logs it, both as an argument and inside the exception it raises."""
    chosen, stream = written
    conversation = live.app[CONVERSATION]
    bug = logging.getLogger("handlers.buggy")

    async def fails_on_the_text(ctx):
        text = ctx.event.text
        bug.warning("could not read %r from the citizen", text)
        raise ValueError(f"no intent for {text!r}")

    monkeypatch.setattr(conversation.dispatcher, "dispatch", fails_on_the_text)
    said = f"Số của tôi {PHONE}, số khác {PHONE_INTL}, CCCD {ID_NUMBER}"
    replies = await live.say("citizen-with-numbers", said)

    assert "hệ thống đang gặp sự cố" in replies[0]["text"], "the citizen got the apology: the bug did run"
    output = stream.getvalue()
    # The lines are there, with the numbers masked in the message and in the traceback.
    assert "could not read" in output and "ValueError: no intent for" in output, output
    assert "09******56" in output and "84*******78" in output and "062*******34" in output, output
    for raw in RAW:
        assert raw not in output, f"{raw} in the {chosen} log:\n{output}"
    if chosen == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        failed = next(line for line in lines if line["msg"].startswith("handler"))
        assert "062*******34" in failed["exc"] and failed.get("event_id"), failed


def test_arguments_tracebacks_and_stacks_are_masked_but_other_handlers_records_are_left_alone(written):
    _, stream = written
    log = logging.getLogger("bot.anything")
    try:
        raise KeyError(f"dossier of {ID_NUMBER} (0905.123.456)")
    except KeyError:
        log.exception("lookup for %s failed", PHONE, stack_info=True)
    record_seen_by_others = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "phone %s", (PHONE,), None)
    handler = logging.getLogger().handlers[-1]
    handler.handle(record_seen_by_others)

    output = stream.getvalue()
    assert "lookup for 09******56 failed" in output and "062*******34" in output and "Stack (most recent" in output
    assert "0905123456" not in output and "062090001234" not in output and "0905.123.456" not in output, output
    # The formatter masked a copy: a record other handlers get (pytest's, a library's) is unchanged.
    assert record_seen_by_others.getMessage() == f"phone {PHONE}"
    # Dates, times and amounts stay readable.
    log.info("hẹn trả 17:00 ngày 24/11/2026, lệ phí 150.000.000 đồng")
    assert "17:00 ngày 24/11/2026, lệ phí 150.000.000 đồng" in stream.getvalue()


def test_a_logged_count_after_a_bracketed_phone_number_is_kept(written):
    """The phone masked, and the count after its bracket left as written: an operator reading the
    line sees "12 lần", not a 12-digit ID made of the phone and the count."""
    _, stream = written
    logging.getLogger("bot.anything").info("công dân gọi (0905 123 456) 12 lần")
    output = stream.getvalue()
    assert "gọi 09******56 12 lần" in output and "0905" not in output, output
