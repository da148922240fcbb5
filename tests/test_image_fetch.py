"""The photo download guard, against real servers on loopback: allowed hosts only, no private or
loopback addresses unless configured, redirects re-checked, size cap, timeout."""

import asyncio

import pytest
from aiohttp import web

from bot.image_fetch import FetchPolicy, ImageFetcher, ImageFetchError

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 1000


@pytest.fixture
async def image_host(aiohttp_server):
    async def image(request):
        return web.Response(body=JPEG, content_type="image/jpeg")

    async def big(request):
        return web.Response(body=b"x" * 2_000_000, content_type="image/jpeg")

    async def big_chunked(request):
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(40):
            await response.write(b"x" * 64_000)
        return response

    async def slow(request):
        await asyncio.sleep(3)
        return web.Response(body=JPEG, content_type="image/jpeg")

    async def redirect(request):
        raise web.HTTPFound(request.query["to"])

    async def missing(request):
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/img.jpg", image)
    app.router.add_get("/big.jpg", big)
    app.router.add_get("/chunked.jpg", big_chunked)
    app.router.add_get("/slow.jpg", slow)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/missing.jpg", missing)
    app.router.add_get("/emulator/media/redirect", redirect)
    app.router.add_get("/emulator/media/{media_id}", image)
    return await aiohttp_server(app, host="127.0.0.1")


def local_policy(**changes) -> FetchPolicy:
    values = {"allowed_hosts": ("127.0.0.1",), "local_hosts": ("127.0.0.1",), "max_bytes": 1_000_000,
              "timeout_seconds": 0.5}  # fmt: skip
    values.update(changes)
    return FetchPolicy(**values)


async def fetch(policy: FetchPolicy, url: str) -> bytes:
    async with ImageFetcher(policy) as fetcher:
        return await fetcher.fetch(url)


async def refused(policy: FetchPolicy, url: str) -> str:
    with pytest.raises(ImageFetchError) as err:
        await fetch(policy, url)
    return err.value.reason


async def test_an_allowed_host_is_fetched(image_host):
    assert await fetch(local_policy(), f"http://127.0.0.1:{image_host.port}/img.jpg") == JPEG


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "bad_scheme"),
        ("gopher://127.0.0.1/", "bad_scheme"),
        ("http://evil.example.com/img.jpg", "host_not_allowed"),
        ("http://169.254.169.254/latest/meta-data/", "host_not_allowed"),
        ("http:///img.jpg", "host_not_allowed"),
    ],
)
async def test_other_schemes_and_hosts_are_refused_before_any_request(url, reason):
    assert await refused(local_policy(), url) == reason


async def test_loopback_and_private_addresses_are_refused_unless_configured(image_host):
    # The same loopback server, but the policy does not name it as a local host.
    policy = FetchPolicy(allowed_hosts=("127.0.0.1", "10.0.0.8", "localhost"), local_hosts=())
    assert await refused(policy, f"http://127.0.0.1:{image_host.port}/img.jpg") == "private_address"
    assert await refused(policy, "http://10.0.0.8/img.jpg") == "private_address"
    # A name is checked after resolution: localhost resolves to loopback and is refused.
    assert await refused(policy, f"http://localhost:{image_host.port}/img.jpg") == "private_address"


async def test_redirects_are_checked_at_every_hop(image_host):
    base = f"http://127.0.0.1:{image_host.port}"
    assert await fetch(local_policy(), f"{base}/redirect?to=/img.jpg") == JPEG  # same host: fine
    for target in ("http://evil.example.com/x.jpg", f"http://localhost:{image_host.port}/img.jpg",
                   "http://192.168.1.1/router.jpg"):  # fmt: skip
        assert await refused(local_policy(), f"{base}/redirect?to={target}") == "host_not_allowed"
    loop_url = f"{base}/redirect?to={base}/redirect%3Fto%3D{base}/redirect"
    assert await refused(local_policy(), loop_url) in ("too_many_redirects", "http_status")


async def test_bodies_over_the_cap_are_refused_with_or_without_a_length(image_host):
    base = f"http://127.0.0.1:{image_host.port}"
    assert await refused(local_policy(), f"{base}/big.jpg") == "too_large"
    assert await refused(local_policy(), f"{base}/chunked.jpg") == "too_large"


async def test_a_slow_server_times_out(image_host):
    assert await refused(local_policy(), f"http://127.0.0.1:{image_host.port}/slow.jpg") == "timeout"


async def test_an_error_status_is_refused(image_host):
    assert await refused(local_policy(), f"http://127.0.0.1:{image_host.port}/missing.jpg") == "http_status"


def test_suffix_hosts_cover_subdomains_only():
    policy = FetchPolicy(allowed_hosts=(".zadn.vn",))
    assert policy.host_allowed("s120-ava-talk.zadn.vn") and policy.host_allowed("zadn.vn")
    assert not policy.host_allowed("zadn.vn.evil.com") and not policy.host_allowed("evilzadn.vn")


async def test_in_emulation_only_the_emulators_image_path_is_fetched(image_host):
    """The emulator's host is loopback: anything else on it (its other routes, the staff console,
    other ports) must stay out of reach of a crafted photo URL."""
    from bot.settings import Settings

    settings = Settings(zalo_emulator=True, port=image_host.port)
    allowed, local = settings.image_policy_hosts
    policy = FetchPolicy(allowed, local, 1_000_000, 2.0)
    base = f"http://127.0.0.1:{image_host.port}"
    assert await fetch(policy, f"{base}/emulator/media/abc") == JPEG
    for url in (f"{base}/img.jpg", f"{base}/staff/conversations", f"{base}/emulator/media/../../img.jpg",
                f"{base}/emulator/media/%2e%2e/x", f"http://127.0.0.1:{image_host.port + 1}/emulator/media/abc",
                f"{base}/emulator/users/x/messages"):  # fmt: skip
        assert await refused(policy, url) == "host_not_allowed", url
    # A redirect from the image path elsewhere on loopback is refused too.
    assert await refused(policy, f"{base}/emulator/media/redirect?to=/img.jpg") == "host_not_allowed"
