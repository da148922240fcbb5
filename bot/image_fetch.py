"""Downloading a citizen's photo from the URL in a `user_send_image` event, without becoming a
proxy into our own network.

Only hosts in the allow-list (Zalo's image CDN, or the emulator's host in emulation) are fetched;
addresses are checked when the connection is made (so a DNS answer cannot swap in 127.0.0.1 after
the check), private and loopback ranges are refused unless the host was configured explicitly as
local, and a local endpoint may be narrowed to a URL prefix (in emulation: the emulator's own image
path, so its other routes and other loopback ports stay out of reach); redirects are followed by
hand, a few hops at most, each hop checked again; the body is capped while it streams; the whole
fetch has a deadline.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_REDIRECTS = 3


class ImageFetchError(Exception):
    """The image could not be fetched safely; `reason` is a short machine-readable cause."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class FetchPolicy:
    allowed_hosts: tuple[str, ...]  # exact hosts, or ".suffix" for a domain and its subdomains
    # Allowed to resolve to loopback/private (the emulator): a host (any port and path), or a URL
    # prefix `http://host:port/path/` (only URLs under it).
    local_hosts: tuple[str, ...] = ()
    max_bytes: int = 15 * 1024 * 1024
    timeout_seconds: float = 10.0

    @property
    def local_names(self) -> frozenset[str]:
        return frozenset((urlsplit(h).hostname or "") if "://" in h else h.lower() for h in self.local_hosts)

    def local_url_allowed(self, url: str) -> bool:
        """For a local host: the URL lies under one of its configured prefixes (or the host is named bare)."""
        parts = urlsplit(url)
        if ".." in parts.path or "%2e" in parts.path.lower() or "\\" in parts.path:
            return False  # no dot segments: the path is compared as written
        host, port = (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)
        for entry in self.local_hosts:
            if "://" not in entry:
                if host == entry.lower():
                    return True
                continue
            prefix = urlsplit(entry)
            prefix_port = prefix.port or (443 if prefix.scheme == "https" else 80)
            if (parts.scheme, host, port) == (prefix.scheme, (prefix.hostname or "").lower(), prefix_port) and (
                parts.path.startswith(prefix.path)
            ):
                return True
        return False

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for allowed in self.allowed_hosts:
            allowed = allowed.lower()
            if allowed.startswith("."):
                if host == allowed[1:] or host.endswith(allowed):
                    return True
            elif host == allowed:
                return True
        return False


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class PrivateAddressRefused(OSError):
    pass


class GuardedResolver(AbstractResolver):
    """Resolves as usual, then drops every non-public address unless the host is a configured
    local one; an empty answer makes the connection fail."""

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        if host.lower() in self.policy.local_names:
            return results
        safe = [r for r in results if _public(r["host"])]
        if not safe:
            raise PrivateAddressRefused(f"{host} resolves only to private or loopback addresses")
        return safe

    async def close(self) -> None:
        await self.inner.close()


def _check_url(url: str, policy: FetchPolicy) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ImageFetchError("bad_scheme", f"only http(s) images are fetched, not {parts.scheme!r}")
    host = parts.hostname or ""
    if not host or not policy.host_allowed(host):
        raise ImageFetchError("host_not_allowed", f"{host or 'no host'} is not an allowed image host")
    if host.lower() in policy.local_names:
        if not policy.local_url_allowed(url):
            raise ImageFetchError("host_not_allowed", f"only the configured image path is fetched from {host}")
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    if not _public(str(literal)):
        raise ImageFetchError("private_address", f"{host} is a private or loopback address")


class ImageFetcher:
    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ImageFetcher:
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.policy), limit=20)
        self.session = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.session is not None:
            await self.session.close()

    async def fetch(self, url: str) -> bytes:
        """The image's bytes; raises ImageFetchError for anything outside the policy."""
        if self.session is None:
            raise RuntimeError("use ImageFetcher as an async context manager")
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_seconds, sock_connect=5)
        for _ in range(MAX_REDIRECTS + 1):
            _check_url(url, self.policy)
            try:
                async with self.session.get(url, allow_redirects=False, timeout=timeout) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        url = urljoin(url, response.headers.get("Location", ""))
                        continue
                    if response.status != 200:
                        raise ImageFetchError("http_status", f"the image host answered {response.status}")
                    return await self._read_capped(response)
            except TimeoutError as exc:
                raise ImageFetchError("timeout", f"no complete image within {self.policy.timeout_seconds} s") from exc
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, PrivateAddressRefused):
                    raise ImageFetchError("private_address", str(exc.os_error)) from exc
                raise ImageFetchError("connection", f"{type(exc).__name__}: {exc}") from exc
            except (aiohttp.ClientError, PrivateAddressRefused) as exc:
                raise ImageFetchError("connection", f"{type(exc).__name__}: {exc}") from exc
        raise ImageFetchError("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        limit = self.policy.max_bytes
        if response.content_length is not None and response.content_length > limit:
            raise ImageFetchError("too_large", f"{response.content_length} bytes is over the {limit} byte limit")
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise ImageFetchError("too_large", f"over the {limit} byte limit")
            chunks.append(chunk)
        return b"".join(chunks)
