"""The OpenAPI 3 document of /api, built from the same pydantic models the handlers validate with.
A test walks the app's route table and checks that both list the same operations."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from bot.appkeys import SETTINGS
from bot.web.jsonresp import json_response
from lookup.dossiers import ReceiveRequest, TransitionRequest
from lookup.payments import CreatePaymentRequest, GatewayCallback

routes = web.RouteTableDef()

_ERROR = {"$ref": "#/components/schemas/Error"}
_JSON_OBJ = {"type": "object"}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Dossier code, matched tolerantly (case, spaces, separators).",
}
_SECURITY_HEADER = {
    "name": "X-Security-Code",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The receipt's security code (mã bảo mật): unlocks the full view.",
}
_STAFF = [{"staffToken": []}]

# (method, path, summary, request model, path/header parameters, success status, staff only)
_OPERATIONS: list[tuple[str, str, str, type[BaseModel] | None, list[dict], int, bool]] = [
    ("post", "/api/dossiers", "Receive a dossier; returns its code and security code", ReceiveRequest, [], 201, True),
    (
        "get",
        "/api/dossiers/{code}",
        "Dossier view: public (masked) or full with X-Security-Code",
        None,
        [_CODE, _SECURITY_HEADER],
        200,
        False,
    ),
    ("get", "/api/dossiers/{code}/progress", "The dossier's timeline of steps", None, [_CODE], 200, False),
    (
        "post",
        "/api/dossiers/{code}/transitions",
        "Move the dossier to another status",
        TransitionRequest,
        [_CODE],
        200,
        True,
    ),
    (
        "get",
        "/api/dossiers/{code}/receipt.png",
        "The receipt image with its lookup QR code",
        None,
        [_CODE, _SECURITY_HEADER],
        200,
        False,
    ),
    (
        "get",
        "/api/procedures/{code}",
        "One administrative procedure",
        None,
        [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
        200,
        False,
    ),
    ("get", "/api/life-events", "The life-event groups", None, [], 200, False),
    (
        "get",
        "/api/life-events/{id}/procedures",
        "Procedures of a life-event group",
        None,
        [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        200,
        False,
    ),
    ("post", "/api/payments", "Open the payment request for a dossier's fees", CreatePaymentRequest, [], 201, False),
    (
        "post",
        "/api/payments/{payment_id}/callback",
        "The bank's signed payment result (idempotent)",
        GatewayCallback,
        [{"name": "payment_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        200,
        False,
    ),
    ("get", "/api/openapi.json", "This document", None, [], 200, False),
]


def build_openapi(server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        },
    }
    for method, path, summary, model, params, ok, staff in _OPERATIONS:
        content_type = "image/png" if path.endswith(".png") else "application/json"
        ok_schema = {"type": "string", "format": "binary"} if content_type == "image/png" else _JSON_OBJ
        responses: dict[str, Any] = {str(ok): {"description": "OK", "content": {content_type: {"schema": ok_schema}}}}
        for status, why in ((400, "Bad request"), (404, "Not found"), (422, "Invalid request")):
            responses[str(status)] = {"description": why, "content": {"application/json": {"schema": _ERROR}}}
        if not staff and "callback" not in path and "openapi" not in path:
            responses["429"] = {
                "description": "Too many requests from this client (or wrong security codes): see Retry-After",
                "content": {"application/json": {"schema": _ERROR}},
            }
        if staff:
            responses["401"] = {
                "description": "Staff token missing or wrong",
                "content": {"application/json": {"schema": _ERROR}},
            }
        operation: dict[str, Any] = {
            "summary": summary,
            "parameters": params,
            "responses": responses,
            "operationId": f"{method}_{path}".replace("/", "_").strip("_"),
        }
        if model is not None:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
            }
        if staff:
            operation["security"] = _STAFF
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "tracuu dossier-and-payment service", "version": "0.1.0"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"staffToken": {"type": "http", "scheme": "bearer"}}},
    }


@routes.get("/api/openapi.json")
async def openapi_document(request: web.Request) -> web.Response:
    return json_response(build_openapi(request.app[SETTINGS].base_url))
