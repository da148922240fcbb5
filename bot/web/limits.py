"""The web's per-client limits applied to a request: who is asking (`bot.web.clients`) and the
shared counters (`bot.ratelimit`)."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import DOSSIERS
from bot.ratelimit import LIMITER, Limit
from bot.web.clients import client_id
from lookup.codes import InvalidDossierCode
from lookup.dossier import Dossier
from lookup.dossier_store import DossierNotFound


async def limit(request: web.Request, which: str) -> str:
    """Count this request against the limit named `which` (a field of Limits); returns the client."""
    client = client_id(request)
    limiter = request.app[LIMITER]
    rule: Limit = getattr(limiter.limits, which)
    await limiter.hit(rule, client)
    return client


async def look_up(request: web.Request, code_text: str) -> Dossier:
    """A dossier by the code a client gave: counted as a lookup, and a code that does not exist as a
    miss, so that walking the code space is refused long before it finds much (429 + Retry-After)."""
    client = await limit(request, "lookups")
    limiter = request.app[LIMITER]
    await limiter.check(limiter.limits.lookup_misses, client)
    try:
        return await request.app[DOSSIERS].get(code_text)
    except (DossierNotFound, InvalidDossierCode):
        await limiter.add(limiter.limits.lookup_misses, client)
        raise


async def check_security_code(request: web.Request, dossier: Dossier, given: str) -> None:
    """The security-code check for this client: rate-limited, and its failures counted per client."""
    client = await limit(request, "security_checks")
    await request.app[DOSSIERS].check_security_code(dossier, given, client=client)
