"""Production-shaped starts (issue 15): without --demo / --emulator the built-in demo secrets are
refused before anything starts, the emulated bank is not mounted, and the payment page only hands
over to the configured payment platform."""

import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime

import pytest

from bot.app import create_app
from bot.settings import InsecureSettings, Settings
from bot.web.gateway_emulator import signed_callback
from tests.conftest import APPLICANT, GATEWAY_SECRET, STAFF, free_port
from tests.test_webhook import signed, text_event

SECRETS = ("ZALO_OA_SECRET_KEY", "ZALO_APP_SECRET", "PAYMENT_GATEWAY_SECRET")
REAL = {"ZALO_OA_SECRET_KEY": "a-real-oa-secret", "ZALO_APP_SECRET": "a-real-app-secret",
        "PAYMENT_GATEWAY_SECRET": "a-real-gateway-secret"}  # fmt: skip


def bot(*argv: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed argv
        [sys.executable, "-m", "bot", *argv], env={"PATH": "/usr/bin:/bin", "LOG_FORMAT": "text", **(env or {})},
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.parametrize("command", [["serve"], ["serve", "--no-worker"], ["worker"]])
def test_a_production_start_without_the_secrets_refuses_one_line_per_secret(command):
    result = bot(*command, env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    for variable, line in zip(SECRETS, lines, strict=True):
        assert line.startswith(f"refusing to start: {variable} is not set")
    assert "serving on" not in result.stderr and "worker:" not in result.stderr


def test_demo_valued_secrets_are_refused_too():
    demo = {"ZALO_OA_SECRET_KEY": "TEST_OA_SECRET_KEY", "ZALO_APP_SECRET": "a-real-app-secret",
            "PAYMENT_GATEWAY_SECRET": "demo-gateway-secret", "STAFF_API_TOKEN": "demo-staff-token"}  # fmt: skip
    result = bot("serve", env=demo)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split()[3] for line in lines] == ["ZALO_OA_SECRET_KEY", "PAYMENT_GATEWAY_SECRET", "STAFF_API_TOKEN"]
    assert all("demo value" in line for line in lines)


def test_replay_against_a_service_needs_its_real_oa_secret_unless_it_is_a_demo():
    result = bot("replay", "fixtures/conversations/support-and-not-understood.jsonl", "--against", "http://127.0.0.1:1",
                 env={"STAFF_API_TOKEN": "x"})  # fmt: skip
    assert result.returncode == 2 and "ZALO_OA_SECRET_KEY is not set" in result.stderr


def test_the_app_factory_refuses_demo_secrets_outside_demo_mode():
    with pytest.raises(InsecureSettings, match="ZALO_OA_SECRET_KEY"):
        create_app(Settings())
    create_app(Settings(demo=True))
    create_app(Settings(zalo_emulator=True))
    create_app(Settings(**{k.lower(): v for k, v in REAL.items()}))


def _served_log(*argv: str, env: dict[str, str]) -> str:
    """What `python -m bot serve ARGV` logs until it is ready (then it is stopped). Ready means its own
    "serving on" line for this port and /readyz answering: on a shared machine another run's server
    may answer /readyz on the same port first, and stopping ours then found an empty log."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own service, fixed argv
        [sys.executable, "-m", "bot", "serve", "--port", str(port), *argv],
        env={"PATH": "/usr/bin:/bin", "LOG_FORMAT": "text", **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "the service did not start"
            if any(f"serving on http://127.0.0.1:{port}" in line for line in list(lines)):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                        assert r.status == 200
                    break
                except OSError:
                    pass
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
        reader.join(timeout=5)
        server.stderr.close()  # type: ignore[union-attr]
    return "".join(lines)


def test_with_real_secrets_it_serves_and_the_demo_mode_says_so_loudly():
    assert "DEMO MODE" not in _served_log(env=REAL)
    # (A port in use no longer shows the banner: that start is refused before it, see test_first_hour.)
    demo = _served_log("--demo", "--count", "0", env={})
    assert "DEMO MODE" in demo and "PAYMENT_GATEWAY_SECRET" in demo


async def test_a_webhook_signed_with_the_demo_secret_is_refused_in_production(api):
    raw, headers = signed(text_event("attacker", "#hotro", "m-demo"), secret="TEST_OA_SECRET_KEY")
    response = await api.post("/webhook/zalo", data=raw, headers=headers)
    assert response.status == 401


async def fees_due(api) -> tuple[dict, dict]:
    body = {"procedure_code": "1.004194", "agency_id": "000.31.01.H34", "applicant": APPLICANT}
    created = await (await api.post("/api/dossiers", json=body, headers=STAFF)).json()
    for status in (4, 6):
        assert (await api.post(f"/api/dossiers/{created['code']}/transitions", json={"status": status},
                               headers=STAFF)).status == 200  # fmt: skip
    payment = await api.post("/api/payments", json={"dossier_code": created["code"],
                                                    "security_code": created["security_code"]})  # fmt: skip
    return created, await payment.json()


async def test_a_callback_signed_with_the_demo_gateway_secret_settles_nothing(api):
    created, payment = await fees_due(api)
    body = signed_callback(payment["payment_id"], created["code"], payment["amount_vnd"], "VCB", "00",
                           datetime.fromisoformat("2026-11-16T10:00:00+07:00"), "demo-gateway-secret")  # fmt: skip
    assert (await api.post(f"/api/payments/{payment['payment_id']}/callback", json=body)).status == 401
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Chưa thanh toán"


async def test_the_emulated_bank_is_not_mounted_in_production(backend, aiohttp_client, make_settings, clock, catalog):
    app = create_app(make_settings(payment_gateway_url="https://thanhtoan.example.vn/pay"), clock=clock,
                     catalog=catalog)  # fmt: skip
    api = await aiohttp_client(app)
    created, payment = await fees_due(api)
    pid = payment["payment_id"]
    assert (await api.post(f"/pay/{pid}/bank", data={"bank_code": "VCB"})).status == 404
    assert (await api.post(f"/pay/{pid}/confirm", data={"bank_code": "VCB", "action": "pay"})).status == 404
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Chưa thanh toán" and view["status"]["code"] == 6
    page = await (await api.get(f"/pay/{pid}")).text()
    assert "Vietcombank" not in page and f"/pay/{pid}/bank" not in page
    assert f"https://thanhtoan.example.vn/pay?payment_id={pid}&amp;dossier_code=" in page


async def test_an_unknown_bank_code_is_refused_in_any_mode(backend, aiohttp_client, make_settings, clock, catalog):
    api = await aiohttp_client(create_app(make_settings(demo=True), clock=clock, catalog=catalog))
    created, payment = await fees_due(api)
    pid = payment["payment_id"]
    forged = "<b>X|Y</b>"
    response = await api.post(f"/pay/{pid}/confirm", data={"bank_code": forged, "action": "pay"})
    assert response.status == 400
    assert (await api.post(f"/pay/{pid}/bank", data={"bank_code": forged})).status == 400
    # Signed with the right secret, the callback still may not carry it (nor '|' in any signed field).
    body = signed_callback(pid, created["code"], payment["amount_vnd"], forged, "00",
                           datetime.fromisoformat("2026-11-16T10:00:00+07:00"), GATEWAY_SECRET, "T1")  # fmt: skip
    assert (await api.post(f"/api/payments/{pid}/callback", json=body)).status == 422
    body = signed_callback(pid, created["code"], payment["amount_vnd"], "VCB", "00",
                           datetime.fromisoformat("2026-11-16T10:00:00+07:00"), GATEWAY_SECRET, "T1|00")  # fmt: skip
    assert (await api.post(f"/api/payments/{pid}/callback", json=body)).status == 422
    view = await (await api.get(f"/api/dossiers/{created['code']}")).json()
    assert view["fees"]["payment_state"] == "Chưa thanh toán"
