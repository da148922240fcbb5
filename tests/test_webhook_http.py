"""The webhook's own front (bot/zalo/webhook_http.py) on raw connections: plain deliveries answered
as the route answers them (request id, metrics, duplicates, refusals), in order when a client sends
ahead, a body arriving in pieces, and every head that is not plain handed to aiohttp with the
bytes after it, on the same connection."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

from prometheus_client import REGISTRY

from tests.test_webhook import signed, text_event, transcript


def delivery(user: str, msg_id: str, extra: str = "") -> bytes:
    raw, headers = signed(text_event(user, "#hotro", msg_id))
    head = (f"POST /webhook/zalo HTTP/1.1\r\nHost: tracuu\r\nContent-Type: application/json\r\n"
            f"X-ZEvent-Signature: {headers['X-ZEvent-Signature']}\r\n{extra}"
            f"Content-Length: {len(raw)}\r\n\r\n")  # fmt: skip
    return head.encode() + raw


async def connect(live) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    url = urlsplit(live.base)
    return await asyncio.open_connection(url.hostname, url.port)


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if status < 200:  # 100 Continue: no body
        return status, headers, b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:  # chunked (aiohttp's answers to some requests)
        body = b""
        while (size := int((await reader.readline()).strip(), 16)) > 0:
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
    return status, headers, body


def received(outcome: str) -> float:
    return REGISTRY.get_sample_value("tracuu_events_received_total", {"result": outcome}) or 0.0


async def test_a_plain_delivery_is_answered_with_its_request_id_counted_and_stored(live):
    reader, writer = await connect(live)
    try:
        before = received("accepted"), received("duplicate")
        writer.write(delivery("front-1", "m-front-1", "X-Request-Id: zalo-req-0001\r\n"))
        status, headers, body = await answer(reader)
        assert status == 200 and json.loads(body) == {"status": "accepted"}
        assert headers["x-request-id"] == "zalo-req-0001"
        assert headers["content-type"] == "application/json; charset=utf-8" and "date" in headers
        # The same delivery again, with an id that is not sane: answered as seen, a fresh id made.
        writer.write(delivery("front-1", "m-front-1", "X-Request-Id: bad id!\r\n"))
        status, headers, body = await answer(reader)
        assert status == 200 and json.loads(body) == {"status": "duplicate"}
        assert re.fullmatch(r"[0-9a-f]{16}", headers["x-request-id"])
        assert (received("accepted"), received("duplicate")) == (before[0] + 1, before[1] + 1)
    finally:
        writer.close()
    await asyncio.sleep(0.5)
    assert len(await transcript(live, "front-1")) >= 1  # the worker handled the stored event once


async def test_deliveries_sent_ahead_and_in_pieces_are_answered_in_order(live):
    reader, writer = await connect(live)
    try:
        # Three deliveries in one write: answered one after the other, in their order.
        writer.write(b"".join(delivery("front-2", f"m-front-2-{n}", f"X-Request-Id: ahead-000{n}\r\n")
                              for n in range(3)))  # fmt: skip
        for n in range(3):
            status, headers, body = await answer(reader)
            assert status == 200 and json.loads(body) == {"status": "accepted"}
            assert headers["x-request-id"] == f"ahead-000{n}"
        # One delivery written byte by byte in three pieces: its head, half its body, the rest.
        data = delivery("front-2", "m-front-2-pieces")
        cut = data.index(b"\r\n\r\n") + 4
        for piece in (data[:cut], data[cut : cut + 20], data[cut + 20 :]):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.05)
        status, _, body = await answer(reader)
        assert status == 200 and json.loads(body) == {"status": "accepted"}
    finally:
        writer.close()


async def test_a_refusal_is_the_routes_refusal(live):
    reader, writer = await connect(live)
    try:
        raw, _ = signed(text_event("front-3", "#hotro", "m-front-3"), secret="WRONG")
        head = f"POST /webhook/zalo HTTP/1.1\r\nHost: x\r\nX-ZEvent-Signature: mac=00\r\nContent-Length: {len(raw)}\r\n"
        head += "\r\n"
        writer.write(head.encode() + raw)
        status, headers, body = await answer(reader)
        assert status == 401 and json.loads(body)["error"]["code"] == "bad_signature"
        assert "x-request-id" in headers
    finally:
        writer.close()
    assert await transcript(live, "front-3") == []


async def test_a_head_that_is_not_plain_goes_to_aiohttp_with_what_follows_it(live):
    # Each case: what is sent on a fresh connection, then the status aiohttp's route or router gives.
    cases = [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        (delivery("front-4", "m-front-4a", "Expect: 100-continue\r\n"), 200),
        (delivery("front-4", "m-front-4b", "Connection: close\r\n"), 200),
        (b"POST /webhook/zalo HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413),
        (b"POST /webhook/zalo HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}", 400),
        (b"POST /webhook/zalo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400),  # no Host
        (delivery("front-4", "m-front-4c", "Content-Type: text/plain\r\n"), 400),  # a singleton twice
        (delivery("front-4", "m-front-4d", "X-Request-Id: twice-0001\r\nX-Request-Id: twice-0002\r\n"), 200),
        (b"POST /webhook/zalo HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: 2\r\n\r\n{}", 400),
    ]
    for sent, expected in cases:
        reader, writer = await connect(live)
        try:
            writer.write(sent)
            status, _, body = await answer(reader)
            if status == 100:  # Expect: 100-continue, answered by aiohttp before the body is read
                status, _, body = await answer(reader)
            assert status == expected, (sent[:60], status, body[:200])
        finally:
            writer.close()
    # A plain delivery, then a GET, then a plain delivery again, all on one connection: after the
    # GET the connection is aiohttp's, and the route answers the last one as the front would.
    reader, writer = await connect(live)
    try:
        writer.write(delivery("front-5", "m-front-5a") + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                     + delivery("front-5", "m-front-5b"))  # fmt: skip
        answers = [await answer(reader) for _ in range(3)]
        assert [a[0] for a in answers] == [200, 200, 200]
        assert json.loads(answers[0][2]) == json.loads(answers[2][2]) == {"status": "accepted"}
        assert "x-request-id" in answers[2][1]  # the route's middleware gave it
    finally:
        writer.close()


async def test_a_client_that_does_not_read_its_answers_is_not_read_either(live):
    """Backpressure: answers the client leaves unread stop the front taking its requests, so its
    sends block instead of the server buffering every answer (an echo is answered at once)."""
    import socket

    echo = {**text_event("front-6", "#hotro", "m-front-6"), "event_name": "oa_send_text"}
    raw, headers = signed(echo)
    one = (f"POST /webhook/zalo HTTP/1.1\r\nHost: x\r\nX-ZEvent-Signature: {headers['X-ZEvent-Signature']}\r\n"
           f"Content-Length: {len(raw)}\r\n\r\n").encode() + raw  # fmt: skip
    url = urlsplit(live.base)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (url.hostname, url.port))
    burst, sent = one * 200, 0
    try:
        while sent < 64 * 1024 * 1024:
            try:
                await asyncio.wait_for(loop.sock_sendall(sock, burst), 2)
            except TimeoutError:
                break  # the server stopped reading: what a client that does not read must meet
            sent += len(burst)
    finally:
        sock.close()
    assert sent < 16 * 1024 * 1024, f"{sent} bytes taken from a client that reads no answer"


async def test_idle_and_trickling_connections_are_closed(make_settings, clock, catalog):
    """The runner's keep-alive timeout counts from the last answer, bytes trickling in do not
    extend it, and a request still arriving after REQUEST_SECONDS is dropped."""
    from aiohttp import web

    from bot.app import create_app
    from bot.zalo import webhook_http
    from tests.conftest import free_port, stop_serving

    port = free_port()
    runner = web.AppRunner(create_app(make_settings(), clock=clock, catalog=catalog), keepalive_timeout=0.6)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    saved, webhook_http.REQUEST_SECONDS = webhook_http.REQUEST_SECONDS, 1.0
    try:

        async def closed_within(seconds: float, trickle: bytes = b"") -> bool:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                for byte in trickle:
                    writer.write(bytes([byte]))
                    await asyncio.sleep(0.2)
                return await asyncio.wait_for(reader.read(), seconds) == b""
            except ConnectionError:
                return True  # closed while still trickling
            except TimeoutError:
                return False
            finally:
                writer.close()

        assert await closed_within(2.0), "an idle connection outlives the keep-alive timeout"
        # A head sent a byte every 0.2 s: neither the keep-alive nor the trickle keeps it open.
        assert await closed_within(2.0, b"POST /webhook/zalo HTTP/1.1\r\nHost: x\r\n")
    finally:
        webhook_http.REQUEST_SECONDS = saved
        await stop_serving(runner)
