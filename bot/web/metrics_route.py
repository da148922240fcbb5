"""GET /metrics: this process's counters in the Prometheus text format, with the queue's depth and
pending count read from Redis at scrape time (the same in every process: Prometheus may take max)."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.appkeys import QUEUE
from bot.redis_conn import STORE_ERRORS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/metrics")
async def prometheus_metrics(request: web.Request) -> web.Response:
    if QUEUE in request.app:
        try:
            depth, pending = await request.app[QUEUE].depth()
            metrics.QUEUE_DEPTH.set(depth)
            metrics.QUEUE_PENDING.set(pending)
        except STORE_ERRORS as exc:
            log.warning("queue depth unavailable for /metrics: %s", type(exc).__name__)
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
