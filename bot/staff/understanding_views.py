"""What the bot did not understand, for supervisors to grow the labelled set: every citizen message
of the last days that ended "not understood" (asked which, nothing readable, no flow took it), masked
as the transcript keeps it, as JSONL in the training file's shape with the bot's guess beside it.
Labelling is then a matter of setting `intent` and moving the line into
`fixtures/understanding/train_more.jsonl` (and retraining, README "Understanding")."""

from __future__ import annotations

import json
import re
import time

from aiohttp import web

from bot.appkeys import REDIS, TRANSCRIPT
from bot.conv_keys import ConversationKeys
from bot.staff.context import AUDIT
from bot.staff.guard import SESSION
from bot.staff.html import inbound_meta
from bot.transcript import outcome_of, user_of

routes = web.RouteTableDef()
# A receipt's security code typed where the bot did not ask for it is "not understood" too: anything
# shaped like one (6-12 letters and digits mixed) leaves the console masked.
_CODE_LIKE = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{6,12}\b")


def mask_code_like(text: str) -> str:
    return _CODE_LIKE.sub(lambda m: "•" * len(m.group()), text)


MAX_CONVERSATIONS = 500
DAYS = 14


@routes.get("/staff/not-understood.jsonl")
async def not_understood(request: web.Request) -> web.Response:
    session = request[SESSION]
    if not session.account.is_supervisor:
        raise web.HTTPForbidden(text="supervisors only")
    redis, transcript = request.app[REDIS], request.app[TRANSCRIPT]
    keys: ConversationKeys = transcript.keys
    since = time.time() - DAYS * 24 * 3600
    ids = await redis.zrevrangebyscore(keys.conversations(), "+inf", since, start=0, num=MAX_CONVERSATIONS)
    lines = []
    for conversation in ids:
        user = user_of(conversation)
        if not await redis.sismember(keys.facets(user, "outcomes"), "not_understood"):
            continue
        for entry in await transcript.entries(user):
            if entry.get("direction") != "in" or not entry.get("text"):
                continue
            meta = inbound_meta(entry)
            if outcome_of(meta, entry.get("handler")) != "not_understood":
                continue
            understood = meta.get("understood") or {}
            guess = [understood.get("intent"), understood.get("confidence")]
            row = {"text": mask_code_like(entry["text"]), "intent": "", "facet": None, "context": None,
                   "kind": "console", "bot_guess": guess}  # fmt: skip
            lines.append(json.dumps(row, ensure_ascii=False))
    await request.app[AUDIT].write(session.account.name, "export not understood", "-", f"{len(lines)} messages")
    return web.Response(text="\n".join(lines) + ("\n" if lines else ""), content_type="application/x-ndjson",
                        headers={"Content-Disposition": 'attachment; filename="not-understood.jsonl"'})  # fmt: skip
