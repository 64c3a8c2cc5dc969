"""Fetching an article from an http(s) URL, safely: for ``summarize URL``, batch and the server.

Every fetch is bounded: at most :attr:`FetchPolicy.max_bytes` bytes are read, the whole
fetch (redirects included) has :attr:`FetchPolicy.timeout` seconds, and at most
:attr:`FetchPolicy.max_redirects` redirects are followed, one hop at a time so each is
checked. Only ``http`` and ``https`` are fetched.

Server-side request forgery: unless :attr:`FetchPolicy.allow_private` is set, a host
that resolves to a loopback, private, link-local (the cloud metadata address
169.254.169.254 among them), shared, reserved or multicast address is refused, at the
first hop and after every redirect. The request then goes to the very address that was
checked (the host name travels in the ``Host`` header and as the TLS server name), so a
second DNS answer cannot swap in another address (DNS rebinding).

The page is then read like a file: decoded, its main text extracted if it is HTML
(:mod:`summarizer.inputs`), checked. Every failure is an :class:`InputError`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from summarizer.errors import InputError
from summarizer.inputs import MAX_BYTES, Article, check_text, decode, extract_html, parse_bytes

if TYPE_CHECKING:
    import httpx

#: ``(host, port) -> addresses``; the default asks the system resolver.
Resolver = Callable[[str, int], Awaitable[list[str]]]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "summarizer (+https://pypi.org/project/summarizer)"


async def system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch. ``allow_hosts``: host names exempt from the address check."""

    max_bytes: int = MAX_BYTES
    timeout: float = 20.0
    max_redirects: int = 5
    allow_private: bool = False
    allow_hosts: frozenset[str] = frozenset()
    resolve: Resolver = field(default=system_resolve, compare=False, repr=False)


@dataclass
class Page:
    url: str  # the final URL, after redirects
    content: bytes
    content_type: str


def is_url(text: str) -> bool:
    """``True`` for something that looks like an http(s) URL rather than a path."""
    return text.lower().startswith(("http://", "https://"))


def blocked_reason(address: str) -> str | None:
    """Why an address must not be fetched by default, or ``None`` if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name, hit in (
        ("loopback", ip.is_loopback),
        ("link-local (cloud metadata)", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
    ):
        if hit:
            return name
    return None if ip.is_global else "non-public"


def _target(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{url}: not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise InputError(f"{url}: only http and https URLs are fetched")
    if not parts.hostname:
        raise InputError(f"{url}: the URL has no host")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def _address(url: str, host: str, port: int, policy: FetchPolicy) -> str:
    """The checked address to connect to for ``host``."""
    try:
        addresses = await policy.resolve(host, port)
    except OSError as exc:
        raise InputError(f"{url}: cannot resolve {host} ({exc})") from exc
    if not addresses:
        raise InputError(f"{url}: {host} has no address")
    if not (policy.allow_private or host.lower() in policy.allow_hosts):
        for address in addresses:
            why = blocked_reason(address)
            if why is not None:
                raise InputError(
                    f"{url}: refused, {host} resolves to a {why} address ({address}); "
                    "use --allow-private-urls to fetch intranet pages"
                )
    return addresses[0]


def _pinned(url: str, address: str) -> str:
    """``url`` with its host replaced by the checked address."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


async def _read(response: httpx.Response, url: str, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InputError(f"{url}: the page is larger than the {limit:,} byte limit")
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > limit:
            raise InputError(f"{url}: the page is larger than the {limit:,} byte limit")
    return bytes(data)


async def _hops(url: str, policy: FetchPolicy) -> Page:
    import httpx

    async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as client:
        for _ in range(policy.max_redirects + 1):
            scheme, host, port = _target(url)
            address = await _address(url, host, port, policy)
            default = port == (443 if scheme == "https" else 80)
            headers = {
                "Host": host if default else f"{host}:{port}",
                "User-Agent": USER_AGENT,
                "Accept": "text/html, text/plain;q=0.9, */*;q=0.5",
            }
            request = client.build_request(
                "GET", _pinned(url, address), headers=headers, extensions={"sni_hostname": host}
            )
            response = await client.send(request, stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                if response.status_code >= 400:
                    raise InputError(f"{url}: the server answered HTTP {response.status_code}")
                content = await _read(response, url, policy.max_bytes)
                return Page(url, content, response.headers.get("content-type", ""))
            finally:
                await response.aclose()
    raise InputError(f"{url}: more than {policy.max_redirects} redirects")


async def afetch(url: str, policy: FetchPolicy | None = None) -> Page:
    """Fetch ``url`` within ``policy``; raises :class:`InputError`."""
    import httpx

    policy = policy or FetchPolicy()
    try:
        return await asyncio.wait_for(_hops(url, policy), policy.timeout)
    except TimeoutError as exc:
        raise InputError(f"{url}: no complete answer within {policy.timeout:g}s") from exc
    except httpx.HTTPError as exc:
        raise InputError(f"{url}: cannot fetch ({type(exc).__name__}: {exc})") from exc


def page_article(page: Page) -> Article:
    """A fetched page as a checked :class:`Article` (HTML extracted)."""
    if "html" in page.content_type.lower():
        text, warnings = decode(page.content, page.url)
        text, title = extract_html(text, page.url)
        article = check_text(text, page.url, warnings)
        article.title = title
        return article
    return parse_bytes(page.content, page.url)


async def afetch_article(url: str, policy: FetchPolicy | None = None) -> Article:
    page = await afetch(url, policy)
    return await asyncio.to_thread(page_article, page)


def fetch_article(url: str, policy: FetchPolicy | None = None) -> Article:
    """Synchronous :func:`afetch_article` (for the CLI; not inside a running event loop)."""
    return asyncio.run(afetch_article(url, policy))
