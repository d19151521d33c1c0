"""Who may call `POST /api/messages`: the Bot Framework's JWT check, done without blocking.

Every request from Teams carries `Authorization: Bearer <JWT>` signed by the Bot Framework. We
check, with PyJWT: the signature against the keys published at the OpenID metadata's
`jwks_uri` (fetched with aiohttp, cached for a day, fetched again for an unknown key id at
most every five minutes), RS256 only, the issuer, the audience (our app id), the expiry (five
minutes' leeway, as the Bot Framework allows), the key's endorsement for the activity's channel
and the `serviceurl` claim against the activity's `serviceUrl`, so a token for one service can't
send us somewhere else. Anything wrong is `Unauthorized`, which the route answers with 401.

The SDK's own validator (`microsoft_agents.hosting.core.authorization.jwt`) checks the issuer
only on request and fetches keys from addresses fixed in its code; this one takes the metadata
address from configuration (sovereign clouds, tests against a loopback key server).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

log = logging.getLogger(__name__)

BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEYS_TTL = 24 * 3600.0
REFRESH_AT_MOST_EVERY = 300.0
RETRY_AFTER_FAILURE = 10.0  # a key source that is down is asked again after this long
LEEWAY = 300.0


class Unauthorized(Exception):
    """The request's token is missing or not acceptable; the message says why (never the
    token itself)."""


def issuers_for(tenant_id: str) -> tuple[str, ...]:
    """The Bot Framework's issuer, and, for a single-tenant bot, its tenant's Entra issuers."""
    issuers = [BOT_FRAMEWORK_ISSUER]
    if tenant_id:
        issuers += [
            f"https://sts.windows.net/{tenant_id}/",
            f"https://login.microsoftonline.com/{tenant_id}/v2.0",
        ]
    return tuple(issuers)


def entra_metadata_for(tenant_id: str) -> str:
    return f"https://login.microsoftonline.com/{tenant_id}/v2.0/.well-known/openid-configuration"


@dataclass
class _KeySet:
    keys: dict[str, tuple[jwt.PyJWK, tuple[str, ...] | None]] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    failed_at: float = float("-inf")


class TokenValidator:
    """Checks Bot Framework tokens for one app id."""

    def __init__(
        self,
        app_id: str,
        *,
        issuers: Iterable[str],
        metadata_urls: Iterable[str] = (BOT_FRAMEWORK_METADATA,),
        timeout: float = 10.0,
    ) -> None:
        if not app_id:
            raise ValueError("a token check needs the app id (MICROSOFT_APP_ID)")
        self.app_id = app_id
        self.issuers = tuple(issuers)
        self.metadata_urls = tuple(metadata_urls)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._sets = {url: _KeySet() for url in self.metadata_urls}
        self._lock = asyncio.Lock()

    async def validate(
        self, authorization: str | None, activity: Mapping[str, Any]
    ) -> ClaimsIdentity:
        """The claims of a valid token for this activity; Unauthorized otherwise."""
        if not authorization:
            raise Unauthorized("no Authorization header")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise Unauthorized("the Authorization header is not 'Bearer <token>'")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not a JWT ({type(exc).__name__})") from None
        if header.get("alg") != "RS256":
            raise Unauthorized(f"the token's algorithm {header.get('alg')!r} is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("the token names no signing key (kid)")
        key, endorsements = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=self.issuers,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token was refused: {type(exc).__name__}") from None
        channel = activity.get("channelId") or ""
        if endorsements is not None and channel not in endorsements:
            raise Unauthorized(f"the signing key is not endorsed for channel {channel!r}")
        service_url = activity.get("serviceUrl") or ""
        claimed = claims.get("serviceurl")
        if claims.get("iss") == BOT_FRAMEWORK_ISSUER and _url(claimed) != _url(service_url):
            raise Unauthorized("the token's serviceurl does not match the activity's serviceUrl")
        return ClaimsIdentity(claims, authentication_type="Bearer", security_token=token)

    def _cached(self, kid: str, *, fresh: bool) -> tuple[jwt.PyJWK, tuple[str, ...] | None] | None:
        now = time.monotonic()
        for keyset in self._sets.values():
            if kid in keyset.keys and (not fresh or now - keyset.fetched_at < KEYS_TTL):
                return keyset.keys[kid]
        return None

    async def _key(self, kid: str) -> tuple[jwt.PyJWK, tuple[str, ...] | None]:
        found = self._cached(kid, fresh=True)
        if found:
            return found
        async with self._lock:  # one fetch at a time, however many requests wait
            found = self._cached(kid, fresh=True)
            if found:
                return found
            for url, keyset in self._sets.items():
                now = time.monotonic()
                if now - keyset.fetched_at < REFRESH_AT_MOST_EVERY:
                    continue  # just fetched: an unknown key id stays unknown for a while
                if now - keyset.failed_at < RETRY_AFTER_FAILURE:
                    continue  # down a moment ago: don't hammer it on every request
                try:
                    keyset.keys = await self._fetch(url)
                    keyset.fetched_at = time.monotonic()
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    keyset.failed_at = time.monotonic()
                    log.warning(
                        "teams: signing keys from %s unavailable (%s)", url, type(exc).__name__
                    )
            found = self._cached(
                kid, fresh=False
            )  # a known key stays good while its source is down
        if found:
            return found
        raise Unauthorized("the token is signed by an unknown key")

    async def _fetch(
        self, metadata_url: str
    ) -> dict[str, tuple[jwt.PyJWK, tuple[str, ...] | None]]:
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.get(metadata_url) as response:
                response.raise_for_status()
                metadata = json.loads(await response.text())
            jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(jwks_uri, str):
                raise ValueError("OpenID metadata without jwks_uri")
            async with session.get(jwks_uri) as response:
                response.raise_for_status()
                jwks = json.loads(await response.text())
        keys: dict[str, tuple[jwt.PyJWK, tuple[str, ...] | None]] = {}
        for entry in jwks.get("keys", []) if isinstance(jwks, dict) else []:
            if not isinstance(entry, dict) or not entry.get("kid"):
                continue
            try:
                key = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                continue  # a key type we don't use
            endorsements = entry.get("endorsements")
            keys[entry["kid"]] = (
                key,
                tuple(endorsements) if isinstance(endorsements, list) else None,
            )
        return keys


def _url(value: Any) -> str:
    return value.rstrip("/").lower() if isinstance(value, str) else ""
