"""Who is asking, for per-client limits: the peer address of the connection, or, only when the peer
is one of the operator's TRUSTED_PROXIES, the first untrusted hop of X-Forwarded-For counted from
the right (each proxy appends the address it saw; anything further left may be made up by the
client). The header is never trusted by default. IPv6 clients are counted by their /64, which one
subscriber typically holds whole. Also whether the request came over TLS (X-Forwarded-Proto, again
only from a trusted proxy), for the staff cookie's Secure flag."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from aiohttp import web

from bot.appkeys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=16)
def parse_proxies(text: str) -> tuple[Network, ...]:
    """`10.0.0.1, 10.1.0.0/16, ::1` -> networks; raises ValueError naming a bad entry."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Iterable[Network]) -> bool:
    return any(address in network for network in proxies)


def _peer(request: web.Request) -> Address | None:
    peername = request.transport.get_extra_info("peername") if request.transport else None
    if not peername:
        return None
    return _address(str(peername[0])) if isinstance(peername, tuple) else None


def client_address(request: web.Request) -> str:
    """The client's IP address as text ("unknown" when the socket has none, e.g. a Unix socket)."""
    peer = _peer(request)
    if peer is None:
        return "unknown"
    proxies = parse_proxies(request.app[SETTINGS].trusted_proxies)
    if not proxies or not _trusted(peer, proxies):
        return str(peer)
    hops = [hop for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from the client's side: the last proxy-written hop is the best we know
        client = address
        if not _trusted(address, proxies):
            break
    return str(client)


def client_id(request: web.Request) -> str:
    """The key limits are counted under: `ip:<v4>` or `ip:<v6 /64 network>`."""
    text = client_address(request)
    address = _address(text)
    if isinstance(address, ipaddress.IPv6Address):
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False).network_address}/64"
    return f"ip:{text}"


def is_https(request: web.Request) -> bool:
    """The request reached us over TLS: directly, or through a trusted proxy that says so."""
    if request.secure:
        return True
    peer = _peer(request)
    proxies = parse_proxies(request.app[SETTINGS].trusted_proxies)
    if peer is None or not proxies or not _trusted(peer, proxies):
        return False
    values = [v.strip().lower() for h in request.headers.getall("X-Forwarded-Proto", []) for v in h.split(",")]
    return bool(values) and values[-1] == "https"  # the value the nearest (trusted) proxy wrote


def cookie_secure(request: web.Request) -> bool:
    """Secure flag of the staff cookies: STAFF_COOKIE_SECURE when set, else whether this is HTTPS."""
    forced = request.app[SETTINGS].staff_cookie_secure
    return forced if forced is not None else is_https(request)
