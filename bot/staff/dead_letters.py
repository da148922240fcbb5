"""Events the workers gave up on (failed `max_attempts` times), for an operator: what they were
(event kind, citizen, when) without their content, and a way to queue one again once the cause is
fixed. Supervisors only: requeuing makes the bot act for a citizen."""

from __future__ import annotations

import json
from html import escape

from aiohttp import web

from bot.appkeys import QUEUE
from bot.staff.context import AUDIT
from bot.staff.guard import SESSION
from bot.staff.html import csrf_field, page, when

routes = web.RouteTableDef()
SHOWN = 100


def _supervisor(request: web.Request) -> None:
    if not request[SESSION].account.is_supervisor:
        raise web.HTTPForbidden(text="supervisors only")


@routes.get("/staff/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    _supervisor(request)
    queue, session = request.app[QUEUE], request[SESSION]
    rows = []
    for shard in range(queue.keys.shards):
        for entry_id, fields in await queue.redis.xrange(queue.keys.dead(shard), count=SHOWN):
            kind = json.loads(fields.get("event", "{}")).get("event_name", "?")
            form = (f'<form method="post" action="/staff/dead-letters/{shard}/{escape(entry_id)}/requeue">'
                    f"{csrf_field(session)}<button>Xử lý lại</button></form>")  # fmt: skip
            rows.append(f"<tr><td>{when(float(entry_id.split('-')[0]) / 1000)}</td><td>{escape(kind)}</td>"
                        f"<td>{escape(fields.get('user', ''))}</td><td>{escape(fields.get('key', ''))}</td>"
                        f"<td>{form}</td></tr>")  # fmt: skip
    if not rows:
        return page("Sự kiện lỗi", "<p>Không có sự kiện nào bị bỏ cuộc.</p>", session)
    body = ("<p>Sự kiện bot đã thử xử lý nhiều lần không được. Sửa nguyên nhân (xem log theo event_id) rồi "
            "bấm Xử lý lại.</p><table><tr><th>Bỏ cuộc lúc</th><th>Loại</th><th>Người dân</th><th>event_id</th>"
            "<th></th></tr>" + "".join(rows) + "</table>")  # fmt: skip
    return page("Sự kiện lỗi", body, session)


@routes.post("/staff/dead-letters/{shard}/{entry}/requeue")
async def requeue(request: web.Request) -> web.StreamResponse:
    _supervisor(request)
    queue, session = request.app[QUEUE], request[SESSION]
    try:
        shard = int(request.match_info["shard"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not 0 <= shard < queue.keys.shards:
        raise web.HTTPNotFound()
    dead, entry_id = queue.keys.dead(shard), request.match_info["entry"]
    found = await queue.redis.xrange(dead, min=entry_id, max=entry_id)
    if not found:
        raise web.HTTPNotFound(text="no such dead letter (already requeued?)")
    fields = {k: v for k, v in found[0][1].items() if k in ("oa", "user", "key", "event")}
    async with queue.redis.pipeline(transaction=True) as pipe:  # both keys carry the shard's tag
        pipe.xadd(queue.keys.stream(shard), fields)
        pipe.xdel(dead, entry_id)
        await pipe.execute()
    await request.app[AUDIT].write(session.account.name, "requeue", f"{fields.get('oa')}:{fields.get('user')}",
                                   fields.get("key", ""))  # fmt: skip
    raise web.HTTPSeeOther("/staff/dead-letters")
