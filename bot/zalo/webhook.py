"""POST /webhook/zalo: verify, dedupe, append to the intake stream, answer 200 fast; a worker (in
this process or another) handles the event. Not stored means not acknowledged: 503, and Zalo
delivers it again.

Nothing a stranger sends is parsed before its mac is checked: the mac covers the raw bytes and the
body's own top-level `timestamp`, which a flat scan reads, with the nesting depth, in one pass
(`bot.safejson.scan`). Then the timestamp must be a number of milliseconds within
WEBHOOK_MAX_SKEW_SECONDS of our clock (a captured delivery cannot be replayed once its dedupe key
lapses: the window is far inside the dedupe TTL), and the body is parsed if it nests no deeper than
`safejson.MAX_DEPTH`. Refusals are 4xx, which Zalo does not retry forever.

Two ways in, one set of checks (`examine`, `answer_for`): a plain delivery (HTTP/1.1, its length
declared, nothing unusual in its head) is read by the service's own front (`bot.zalo.webhook_http`)
without aiohttp's request machinery; anything else (a chunked body, `Expect`, ...) reaches the
route below through the application, as every other path does."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, NamedTuple

from aiohttp import web

from bot import metrics, safejson
from bot.appkeys import QUEUE, SETTINGS
from bot.conv_keys import UserKey
from bot.redis_conn import is_store_failure
from bot.settings import Settings
from bot.web.errors import error_response
from bot.web.jsonresp import json_response
from bot.zalo.events import MalformedEvent, parse_event
from bot.zalo.signature import HEADER, verify_webhook

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
PATH = "/webhook/zalo"
MAX_WEBHOOK_BYTES = 64 * 1024  # Zalo events are a few hundred bytes; anything larger is not Zalo
MAX_TIMESTAMP_DIGITS = 15  # milliseconds since 1970 have 13 until the year 2286


# The answers to a stored delivery, made once.
ANSWERS = {outcome: json.dumps({"status": outcome}).encode() for outcome in ("accepted", "duplicate")}
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_counted: dict[str, Any] = {}  # outcome -> its /metrics counter


class Accept(NamedTuple):
    """A delivery that passed every check: what to store."""

    user: UserKey
    dedupe_id: str
    text: str


def count(outcome: str) -> None:
    counter = _counted.get(outcome)
    if counter is None:
        counter = _counted[outcome] = metrics.EVENTS_RECEIVED.labels(outcome)
    counter.inc()


def too_large() -> tuple[str, web.Response]:
    return "refused", error_response(413, "too_large", f"webhook bodies are limited to {MAX_WEBHOOK_BYTES} bytes")


def examine(settings: Settings, signature: str | None, raw: bytes) -> Accept | tuple[str, web.Response]:
    """The checks of a delivery's body (at most MAX_WEBHOOK_BYTES, read whole): what to store, or
    (what became of it, for /metrics; the answer to Zalo)."""
    timestamp, depth = safejson.scan(raw, "timestamp")  # one pass, before anything is parsed
    if timestamp is None or not verify_webhook(
        signature, settings.zalo_app_id, raw, timestamp, settings.zalo_oa_secret_key.get_secret_value()
    ):
        log.warning("webhook refused: bad or missing signature")
        return "refused", error_response(401, "bad_signature", "X-ZEvent-Signature does not match")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        return "refused", error_response(400, "bad_timestamp", "timestamp must be milliseconds since 1970")
    skew = abs(time.time() - int(timestamp) / 1000)
    if skew > settings.webhook_max_skew_seconds:
        log.warning("webhook refused: timestamp %.0f s away from our clock", skew)
        return "refused", error_response(
            400, "stale_event", f"timestamp is more than {settings.webhook_max_skew_seconds} s from our clock"
        )
    try:
        if depth > safejson.MAX_DEPTH:
            raise safejson.TooDeep(f"nested deeper than {safejson.MAX_DEPTH} levels", "", 0)
        text = raw.decode()  # JSON on the wire is UTF-8 (RFC 8259); the text is what gets stored
        body = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "refused", error_response(400, "malformed_json", "the body is not valid JSON (or nests too deep)")
    if not isinstance(body, dict) or str(body.get("timestamp")) != timestamp:
        return "refused", error_response(400, "malformed_event", "the body is not one event object")
    try:
        event = parse_event(body)
    except MalformedEvent as exc:
        return "refused", error_response(400, "malformed_event", str(exc))
    if event.is_echo or event.is_receipt:
        return "ignored", json_response({"status": "ignored", "reason": event.event_name})
    if event.oa_id != settings.zalo_oa_id:
        log.warning("webhook for another OA ignored")
        return "ignored", json_response({"status": "ignored", "reason": "other OA"})
    return Accept(UserKey(event.oa_id, event.user_id), event.dedupe_id, text)


def unavailable(exc: BaseException) -> tuple[str, web.Response]:
    """A store failure (`is_store_failure`): not stored, so not acknowledged; Zalo delivers again."""
    log.error("webhook could not queue the event: %s", type(exc).__name__)
    return "unavailable", error_response(503, "store_unavailable", "try again", {"Retry-After": "1"})


@routes.post(PATH)
async def zalo_webhook(request: web.Request) -> web.Response:
    outcome, response = await _receive(request)
    count(outcome)
    return response


async def _receive(request: web.Request) -> tuple[str, web.Response]:
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        return too_large()
    # With a length (at most the limit, checked above) the whole body is read at once; a chunked one
    # is read up to the limit.
    raw = await request.read() if request.content_length is not None else await _read_capped(request, MAX_WEBHOOK_BYTES)
    if raw is None:
        return too_large()
    checked = examine(request.app[SETTINGS], request.headers.get(HEADER), raw)
    if not isinstance(checked, Accept):
        return checked
    try:
        accepted = await request.app[QUEUE].accept(checked.user, checked.dedupe_id, checked.text)
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        return unavailable(exc)
    outcome = "accepted" if accepted else "duplicate"
    return outcome, web.Response(body=ANSWERS[outcome], headers=_JSON)


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` (a chunked body has no length to check first).
    `content.read(n)` would return only what has arrived so far, truncating larger bodies."""
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
