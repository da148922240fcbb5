"""The webhook's own front on the service's port: plain deliveries read and answered without
aiohttp's request machinery, everything else handed to aiohttp unchanged.

Per delivery, aiohttp's server spends more than the webhook's own checks do (a Request, a payload
stream, a task per request, a Response prepared header by header, the router and four
middlewares). This reader is what sits on each connection first: it takes a request only if its
head is plain (`POST /webhook/zalo HTTP/1.1`, header fields as RFC 9110 spells them in ASCII,
one `Host`, one `Content-Length` of at most MAX_WEBHOOK_BYTES, no `Transfer-Encoding`,
`Content-Encoding`, `Expect`, `Upgrade` or `Connection` other than keep-alive, and none of the fields
it reads or aiohttp's parser refuses to see twice given twice), runs the same checks as the route
(`webhook.examine`), hands the event to the intake batch (`EventQueue.submit`) and writes the
answer from the batch's own task once the event is stored: no task, no coroutine, no future per
request. The answers, the request id (a sane `X-Request-Id` echoed, else one made; on every log
line), the /metrics counts and the 503-if-not-stored are those of the route.

The first request on a connection that is not plain, and every byte after it, go to aiohttp's own
handler for that connection (`transport.set_protocol`), with nothing answered or in flight here,
so answers stay in request order; aiohttp then answers, refuses or routes it as it would have.
Connections idle longer than aiohttp's keep-alive timeout are closed, and the server's graceful
shutdown closes these connections too, after the answer in flight."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from email.utils import formatdate
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from aiohttp.web_server import Server

from bot.appkeys import QUEUE, SETTINGS
from bot.logs import request_id_var
from bot.redis_conn import is_store_failure
from bot.web.errors import error_response
from bot.web.request_ids import _SANE
from bot.zalo import webhook

log = logging.getLogger(__name__)

TESTED_AIOHTTP = ((3, 10), (3, 14))  # the front leans on Server's internals: outside these, the route alone
KEEPALIVE_SECONDS = 75.0  # web.run_app's keepalive_timeout, when the server was given none
REQUEST_SECONDS = 30.0  # a request's head and body, from its first byte, or the connection is closed
MAX_ANSWERS_AT_ONCE = 32  # answers given in one turn of the loop before other connections' turn
MAX_HEAD_BYTES = 8 * 1024  # a longer head is not a plain delivery: aiohttp's limits apply to it
MAX_FIELDS = 128  # aiohttp's max_headers
MAX_BUFFERED = 2 * (MAX_HEAD_BYTES + 64 * 1024)  # bytes taken from a client ahead of its answers
# A plain delivery's head, whole: the request line, then header fields (a token, a colon, visible
# ASCII, spaces and tabs), then the empty line. No obs-fold, no bare LF, no other byte.
_PLAIN = re.compile(rb"POST " + re.escape(webhook.PATH.encode()) +
                    rb" HTTP/1\.1\r\n(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*\r\n)*\r\n")  # fmt: skip
# The fields this reader reads or that make a head not plain, and those aiohttp's request parser
# refuses to see twice (RFC 9110's singletons): any of them twice is not plain either.
_NOT_PLAIN = frozenset({b"transfer-encoding", b"content-encoding", b"expect", b"upgrade", b"sec-websocket-key1"})
_WATCHED = _NOT_PLAIN | {b"content-length", b"host", b"x-zevent-signature", b"x-request-id", b"connection",
                         b"content-type", b"user-agent", b"content-location", b"content-range", b"etag",
                         b"max-forwards", b"server"}  # fmt: skip
_LINE = b"POST " + webhook.PATH.encode() + b" HTTP/1.1\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")
_HANDED_OVER = object()  # a head this reader does not take
_SERVER = SERVER_SOFTWARE.encode()
_random_bits = random.Random().getrandbits  # noqa: S311 - request ids for log lines (os.urandom-seeded), not secrets


def install(app: web.Application) -> None:
    """Serve the webhook's plain deliveries through `WebhookFront` on every connection of the
    servers built for `app` (`web.run_app`, `AppRunner`, the test client): aiohttp builds them with
    `app._make_handler`, which this wraps; the route stays in the app for the rest."""
    version = tuple(int(part) for part in aiohttp.__version__.split(".")[:2] if part.isdigit())
    hooks = all(callable(getattr(Server, name, None)) for name in ("connection_made", "connection_lost",
                                                                  "pre_shutdown", "shutdown"))  # fmt: skip
    if not (TESTED_AIOHTTP[0] <= version <= TESTED_AIOHTTP[1]) or not hooks or hasattr(Server, "__slots__"):
        log.warning(
            "aiohttp %s is not one the webhook's front was tested with: the route serves it", aiohttp.__version__
        )
        return
    make_handler = app._make_handler

    def make_server(**kwargs: Any) -> Server:
        server = make_handler(**kwargs)
        server.__class__ = _FrontServer
        server._webhook_app = app  # type: ignore[attr-defined]
        return server

    app._make_handler = make_server  # type: ignore[method-assign]


class _FrontServer(Server):
    """aiohttp's Server whose connections start with a `WebhookFront`."""

    _webhook_app: web.Application

    def __call__(self) -> asyncio.Protocol:  # type: ignore[override]
        return WebhookFront(self, self._webhook_app)

    def aiohttp_handler(self) -> asyncio.Protocol:
        return Server.__call__(self)


_dates: list[Any] = [0, b""]


def _date() -> bytes:
    now = int(time.time())
    if _dates[0] != now:
        _dates[0], _dates[1] = now, formatdate(now, usegmt=True).encode()
    return _dates[1]


def _answer(status: int, reason: str, body: bytes, request_id: str, headers: Any = ()) -> bytes:
    extra = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers)
    return b"HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n" \
           b"Date: %s\r\nServer: %s\r\nX-Request-Id: %s\r\n%s\r\n%s" % (
               status, reason.encode(), len(body), _date(), _SERVER, request_id.encode(), extra, body)  # fmt: skip


def _from_response(response: web.Response, request_id: str) -> bytes:
    """An answer the route would give (`error_response`, `json_response`), as bytes."""
    extra = [(k, v) for k, v in response.headers.items() if k not in ("Content-Type", "Content-Length")]
    return _answer(response.status, response.reason, response.body, request_id, extra)  # type: ignore[arg-type]


class WebhookFront(asyncio.Protocol):
    def __init__(self, server: _FrontServer, app: web.Application) -> None:
        self._server = server
        self._app = app
        self._loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self._task_handler = None  # what aiohttp's Server looks for on its connections
        self._buffer = b""
        self._request_id = ""
        self._waiting = False  # a delivery of this connection is being stored
        self._write_paused = False  # the client is not reading its answers: take nothing more
        self._scheduled = False  # a burst of answers was cut short: the rest in the loop's next turn
        self._eof = False  # the client has sent all it will: answer what is buffered, then close
        self._stopping = False  # the server is shutting down: no new request is taken
        self._read_paused = False
        # What aiohttp's handlers get from the runner (web.run_app: 75 s); idle from the last answer.
        self._keepalive = float(getattr(server, "_kwargs", {}).get("keepalive_timeout", KEEPALIVE_SECONDS))
        self._last_answer = 0.0
        self._request_started = 0.0  # when the first byte of the request being received came
        self._idle: asyncio.TimerHandle | None = None
        self._answered: asyncio.Future[None] | None = None  # for shutdown() while waiting

    # -- asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._server.connection_made(self, transport)  # type: ignore[arg-type]
        self._last_answer = self._loop.time()
        self._idle = self._loop.call_at(self._last_answer + self._check_every(), self._check_idle)

    def data_received(self, data: bytes) -> None:
        if not self._buffer:
            self._request_started = self._loop.time()
            self._buffer = data
        else:
            self._buffer += data
        if not (self._waiting or self._write_paused or self._scheduled):
            self._read()
        self._flow()

    def eof_received(self) -> bool:
        self._eof = True
        if not (self._waiting or self._write_paused or self._scheduled):
            self._read()  # answers what is complete, then closes
        return True  # the transport is closed here once the answers still owed are given

    def connection_lost(self, exc: BaseException | None) -> None:
        self.transport = None
        if self._idle is not None:
            self._idle.cancel()
        self._server.connection_lost(self, exc)  # type: ignore[arg-type]
        self._wake_shutdown()

    def pause_writing(self) -> None:
        self._write_paused = True
        self._flow()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._read()
        self._flow()

    # -- aiohttp's Server, at shutdown ------------------------------------------------------------

    def close(self) -> None:
        self._stopping = True
        if not self._waiting and self.transport is not None:
            self.transport.close()

    async def shutdown(self, timeout: float | None = 15.0) -> None:  # noqa: ASYNC109 - as aiohttp calls it
        self._stopping = True
        if self._waiting:
            self._answered = self._loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._answered
            except TimeoutError:
                pass
        if self.transport is not None:
            self.transport.close()

    # -- reading ----------------------------------------------------------------------------------

    def _read(self) -> None:
        """Take the complete requests buffered, one at a time, until one must wait for the store,
        the client stops reading its answers, or MAX_ANSWERS_AT_ONCE were given in this turn."""
        self._scheduled = False
        answered = 0
        while self._buffer and self.transport is not None and not (self._waiting or self._write_paused):
            if self._stopping:
                break  # the server is going: what was not taken is delivered again
            if answered >= MAX_ANSWERS_AT_ONCE:
                self._scheduled = True  # other connections' turn first
                self._loop.call_soon(self._read_later)
                return
            taken = self._take()
            if taken is None:  # incomplete: wait for more bytes
                break
            if taken is _HANDED_OVER:
                if self._eof:
                    break  # half-closed: answer nothing more (as aiohttp does), close below
                self._hand_over()
                return
            signature, request_id, raw = taken
            self._request_started = self._loop.time()
            self._deliver(signature, request_id, raw)
            answered += 1
        if self.transport is not None and not self._waiting and (self._stopping or (self._eof and not self._scheduled)):
            self.transport.close()

    def _read_later(self) -> None:
        if self.transport is not None and self._scheduled:
            self._read()
            self._flow()

    def _flow(self) -> None:
        """Reading paused while the client does not read its answers or sends far ahead of them."""
        if self.transport is None:
            return
        pause = self._write_paused or len(self._buffer) > MAX_BUFFERED
        if pause and not self._read_paused:
            self._read_paused = True
            self.transport.pause_reading()
        elif not pause and self._read_paused:
            self._read_paused = False
            self.transport.resume_reading()

    def _take(self) -> Any:
        """(signature, request id, body) of the first buffered request, None while it is not all
        here, or _HANDED_OVER when its head is not a plain delivery."""
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES)
        if end < 0:
            # Not all here: aiohttp's at once if it cannot become a plain head (another request
            # line, a bare LF), or is already longer than one.
            if not (_LINE.startswith(buffer[: len(_LINE)]) and _BARE_LF.search(buffer, 0, MAX_HEAD_BYTES) is None):
                return _HANDED_OVER
            return _HANDED_OVER if len(buffer) >= MAX_HEAD_BYTES else None
        start = end + 4
        if _PLAIN.fullmatch(buffer, 0, start) is None:
            return _HANDED_OVER
        lines = buffer[:end].split(b"\r\n")
        if len(lines) > MAX_FIELDS + 1:
            return _HANDED_OVER  # aiohttp refuses more than its max_headers
        fields: dict[bytes, bytes] = {}
        for line in lines[1:]:  # each one `token:value`, as _PLAIN checked
            name, _, value = line.partition(b":")
            name = name.lower()
            if name in _WATCHED:
                if name in fields:
                    return _HANDED_OVER
                fields[name] = value.strip(b" \t")
        if b"host" not in fields or not fields.keys().isdisjoint(_NOT_PLAIN):
            return _HANDED_OVER  # aiohttp's to answer: 400 without a Host, chunked bodies, 100-continue...
        if fields.get(b"connection", b"keep-alive").lower() != b"keep-alive":
            return _HANDED_OVER  # close, upgrade, ...
        declared = fields.get(b"content-length", b"")
        if not declared.isdigit() or len(declared) > 9 or int(declared) > webhook.MAX_WEBHOOK_BYTES:
            return _HANDED_OVER  # the route answers 413, or reads a body without a length
        stop = start + int(declared)
        if len(buffer) < stop:
            return None
        self._buffer = buffer[stop:]
        signature = fields.get(b"x-zevent-signature")
        request_id = fields.get(b"x-request-id", b"").decode()
        if _SANE.fullmatch(request_id) is None:
            request_id = f"{_random_bits(64):016x}"  # a log correlation id, not a secret
        return (signature.decode() if signature is not None else None), request_id, buffer[start:stop]

    def _hand_over(self) -> None:
        """This connection is aiohttp's from here on: its handler gets the transport and every
        byte not yet taken (nothing is answered or in flight here now)."""
        transport, buffered = self.transport, self._buffer
        self.transport, self._buffer = None, b""
        if self._idle is not None:
            self._idle.cancel()
        self._server.connection_lost(self, None)  # no longer ours to close at shutdown
        handler = self._server.aiohttp_handler()
        transport.set_protocol(handler)  # type: ignore[union-attr]
        handler.connection_made(transport)  # type: ignore[arg-type]
        if buffered:
            handler.data_received(buffered)  # type: ignore[attr-defined]
        if self._read_paused:
            transport.resume_reading()  # type: ignore[union-attr]

    # -- answering --------------------------------------------------------------------------------

    def _deliver(self, signature: str | None, request_id: str, raw: bytes) -> None:
        token = request_id_var.set(request_id)
        try:
            checked = webhook.examine(self._app[SETTINGS], signature, raw)
            if isinstance(checked, webhook.Accept):
                self._waiting = True
                self._request_id = request_id
                self._app[QUEUE].submit(checked.user, checked.dedupe_id, checked.text, self._stored)
                return
            outcome, response = checked
            answer = _from_response(response, request_id)
        except Exception:
            log.exception("webhook delivery failed")
            self._waiting = False
            outcome, answer = None, _from_response(error_response(500, "internal", "try again"), request_id)
        finally:
            request_id_var.reset(token)
        if outcome is not None:
            webhook.count(outcome)
        self._write(answer)

    def _write(self, answer: bytes) -> None:
        self._last_answer = self._loop.time()
        self.transport.write(answer)  # type: ignore[union-attr]

    def _stored(self, first: Any, exc: BaseException | None) -> None:
        """From the batch's task: the event's answer (1 new, 0 seen before) or its store's error."""
        self._waiting = False
        try:
            self._answer_stored(first, exc)
        except Exception:
            log.exception("answering a stored delivery failed")  # the event is stored: Zalo's retry is a duplicate
            if self.transport is not None:
                self.transport.close()
        self._wake_shutdown()
        if self.transport is not None:
            self._read()
            self._flow()

    def _answer_stored(self, first: Any, exc: BaseException | None) -> None:
        request_id = self._request_id
        if exc is None:
            outcome = "accepted" if first else "duplicate"
            answer = _answer(200, "OK", webhook.ANSWERS[outcome], request_id)
        elif isinstance(exc, Exception):
            token = request_id_var.set(request_id)
            try:
                if is_store_failure(exc):
                    outcome, response = webhook.unavailable(exc)
                else:
                    log.error("webhook could not queue the event", exc_info=exc)
                    outcome, response = None, error_response(500, "internal", "try again")
            finally:
                request_id_var.reset(token)
            answer = _from_response(response, request_id)
        else:  # cancelled (the server is stopping): no answer; Zalo delivers it again
            self._stopping = True
            outcome, answer = None, None
        if outcome is not None:
            webhook.count(outcome)
        if self.transport is not None and answer is not None:
            self._write(answer)

    def _wake_shutdown(self) -> None:
        if self._answered is not None and not self._answered.done():
            self._answered.set_result(None)

    def _check_every(self) -> float:
        return max(0.05, min(self._keepalive, REQUEST_SECONDS) / 3)

    def _check_idle(self) -> None:
        """Closes a connection idle for the keep-alive timeout since its last answer (bytes that
        trickle in do not count), or whose request has taken REQUEST_SECONDS since its first byte."""
        if self.transport is None:
            return
        now = self._loop.time()
        if not self._waiting:
            receiving = bool(self._buffer) and now - self._request_started >= REQUEST_SECONDS
            if receiving or now - self._last_answer >= self._keepalive:
                self.transport.close()
                return
        self._idle = self._loop.call_at(now + self._check_every(), self._check_idle)
