"""Procedure catalog endpoints: one procedure by code, life-event groups and their procedures."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import CATALOG
from bot.web.errors import error_response
from bot.web.jsonresp import json_response
from lookup.facts import facts_of

routes = web.RouteTableDef()


@routes.get("/api/procedures/{code}")
async def get_procedure(request: web.Request) -> web.Response:
    procedure = request.app[CATALOG].get(request.match_info["code"])
    if procedure is None:
        return error_response(404, "procedure_not_found", f"no procedure with code {request.match_info['code']}")
    # The record as stored, and its facts in words (what the chat, the page and the receipt say).
    return json_response({**procedure.model_dump(mode="json"), "facts": facts_of(procedure).model_dump(mode="json")})


@routes.get("/api/life-events")
async def list_life_events(request: web.Request) -> web.Response:
    groups = request.app[CATALOG].groups.values()
    return json_response(
        {
            "groups": [
                {"id": g.id, "name": g.name, "audience": g.audience, "procedure_count": len(g.procedure_codes)}
                for g in groups
            ]
        }
    )


@routes.get("/api/life-events/{id}/procedures")
async def list_life_event_procedures(request: web.Request) -> web.Response:
    catalog = request.app[CATALOG]
    group = catalog.group(request.match_info["id"])
    if group is None:
        return error_response(404, "life_event_not_found", f"no life-event group {request.match_info['id']!r}")
    procedures = [
        {
            "code": p.code,
            "name": p.name,
            "level": p.level,
            "agency": p.agency,
            "online_submission": p.online_submission,
            "processing_days": p.processing_days,
            "fee_vnd": p.fee_vnd,
        }
        for p in catalog.group_procedures(group.id)
    ]
    return json_response({"id": group.id, "name": group.name, "audience": group.audience, "procedures": procedures})
