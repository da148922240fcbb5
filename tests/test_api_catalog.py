"""Procedure and life-event endpoints, and the OpenAPI document against the served routes."""

from bot.api.openapi import build_openapi
from bot.app import create_app
from bot.settings import Settings


async def test_procedure_by_code(api):
    response = await api.get("/api/procedures/1.004194")
    body = await response.json()
    assert response.status == 200 and body["name"] == "Đăng ký tạm trú"
    assert body["documents"] and body["fee_vnd"] == 10000
    missing = await api.get("/api/procedures/9.999999")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "procedure_not_found"


async def test_life_events_and_their_procedures(api):
    groups = (await (await api.get("/api/life-events")).json())["groups"]
    assert len(groups) == 22
    study = next(g for g in groups if g["name"] == "Học tập")
    assert study["procedure_count"] > 50
    listing = await (await api.get(f"/api/life-events/{study['id']}/procedures")).json()
    assert len(listing["procedures"]) == study["procedure_count"]
    assert any("Chuyển trường" in p["name"] for p in listing["procedures"])
    assert (await api.get("/api/life-events/khong-co/procedures")).status == 404


async def test_unknown_api_route_answers_json(api):
    response = await api.get("/api/nothing-here")
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"


def test_openapi_lists_exactly_the_served_api_routes():
    app = create_app(Settings(zalo_oa_secret_key="x", zalo_app_secret="y", payment_gateway_secret="z"))
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    document = build_openapi("http://x")
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert served == documented


async def test_openapi_document_is_served_and_references_resolve(api):
    document = await (await api.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    schemas = document["components"]["schemas"]
    text = str(document)
    import re

    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert ref in schemas, f"dangling $ref {ref}"
    receive = document["paths"]["/api/dossiers"]["post"]
    assert receive["security"] == [{"staffToken": []}]
