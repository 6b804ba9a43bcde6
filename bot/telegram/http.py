"""python-telegram-bot's HTTP layer on aiohttp: the same requests and errors, less CPU each.

python-telegram-bot sends every Bot API call through a ``telegram.request.BaseRequest``;
its default, ``HTTPXRequest``, spends most of a busy bot's CPU in httpx/httpcore (pure
Python parsing and connection-pool bookkeeping). ``AiohttpRequest`` does the same job on
aiohttp, whose HTTP parser is in C. PTB documents custom request classes; this one only
moves bytes, and PTB's ``BaseRequest`` still turns Telegram's answers into results and
errors (``RetryAfter``, ``BadRequest``, ``Forbidden``, ...), so those come out exactly as
with httpx.

Rules:
- What does not reach Telegram comes out as httpx's failures do in ``HTTPXRequest``: a
  timeout of any kind as ``TimedOut``, any other transport failure (refused, reset,
  dropped connection, a malformed answer) as ``NetworkError`` named after aiohttp's error.
  The outbox's courier (``courier.classify``) retries both. Error messages never carry
  the request URL, which holds the bot token.
- Parameters go as httpx sends them: a form (``application/x-www-form-urlencoded``) of
  PTB's JSON-encoded parameters, or multipart when there are files to upload.
- Timeouts as ``HTTPXRequest`` takes them (each call may override them): ``read`` between
  bytes of the answer, ``connect`` to open a connection, ``pool`` to wait for a free one
  (aiohttp counts the two together), ``write``/``media_write``. aiohttp has no timeout of
  its own for writing, so the whole call is bounded by the sum of the four.
- At most ``connection_pool_size`` connections to the Bot API at once, kept alive between
  calls. Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``), and TLS trusts
  certifi's certificates, as with httpx (so a host without a system bundle still reaches
  api.telegram.org).
- The aiohttp session is made in ``initialize`` (it belongs to the running event loop)
  and closed in ``shutdown``; PTB's ``Bot`` calls both.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp
import certifi
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

# PTB's ``DefaultValue`` marks a timeout the caller left at this request's own default.
_DEFAULT = BaseRequest.DEFAULT_NONE


def _chosen(value: Any, default: float | None) -> float | None:
    """The caller's timeout, or ours when the caller passed PTB's "use the default"."""
    return default if value is _DEFAULT else value


def _sum(*parts: float | None) -> float | None:
    """The total of some timeouts, or None (no limit) when one of them is unlimited."""
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on aiohttp; the arguments mean what ``HTTPXRequest``'s do."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_read", "_session", "_urls", "_write")

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        # PTB builds each call's URL as a string: parsed, and its proxy looked up, once per
        # method rather than per call (aiohttp's ``trust_env`` would read the environment
        # and ~/.netrc in a worker thread on every call).
        self._urls: dict[str, _Target] = {}

    @property
    def connection_pool_size(self) -> int:
        """At most this many connections at once; more calls wait for one."""
        return self._pool_size

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._pool_size, limit_per_host=0, ssl=_trusting_certifi()
                ),
                headers={"User-Agent": self.USER_AGENT},
                # The Bot API sets no cookies; a jar would only cost time on every call.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = _DEFAULT,
        write_timeout: Any = _DEFAULT,
        connect_timeout: Any = _DEFAULT,
        pool_timeout: Any = _DEFAULT,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _chosen(read_timeout, self._read)
        connect = _chosen(connect_timeout, self._connect)
        pool = _chosen(pool_timeout, self._pool)
        write = _chosen(write_timeout, self._media_write if files else self._write)
        timeout = aiohttp.ClientTimeout(
            total=_sum(pool, connect, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, content_type) in files.items():
                form.add_field(name, content, filename=filename, content_type=content_type)
            body = form
        try:
            target = self._target(url)
            async with session.request(
                method,
                target.url,
                data=body,
                timeout=timeout,
                proxy=target.proxy,
                proxy_auth=target.proxy_auth,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts (ServerTimeoutError, ...) subclass it
            raise TimedOut(f"Timed out: aiohttp.{type(error).__name__}") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {_without(str(error), url)}") from error

    def _target(self, url: str) -> _Target:
        target = self._urls.get(url)
        if target is None:
            if len(self._urls) > 1024:  # one URL per method: never reached, but bounded
                self._urls.clear()
            target = self._urls[url] = _Target.of(url)
        return target


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a URL's calls go: the URL parsed, and the proxy the environment names for it."""

    url: URL
    proxy: URL | None
    proxy_auth: aiohttp.BasicAuth | None

    @classmethod
    def of(cls, url: str) -> _Target:
        parsed = URL(url)
        try:
            proxy, auth = get_env_proxy_for_url(parsed)
        except LookupError:  # no proxy for it
            return cls(parsed, None, None)
        return cls(parsed, proxy, auth)


def _trusting_certifi() -> ssl.SSLContext:
    """Certificate checks as httpx makes them: against certifi's bundle."""
    return ssl.create_default_context(cafile=certifi.where())


def _without(text: str, url: str) -> str:
    """``text`` with ``url`` (and its path, where the token is) cut out."""
    for secret in (url, URL(url).path, URL(url).raw_path):
        if secret and secret != "/":
            text = text.replace(secret, "<Bot API URL>")
    return text
