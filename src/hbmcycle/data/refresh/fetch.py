"""Bounded HTTP fetches for refresh pipelines.

Every fetch is bounded three ways: a body-size cap, a per-item deadline (the whole
response, not one socket read, so a server dripping a byte every few seconds is cut
off) and a whole-run deadline shared by every item of every pipeline. Redirects are
followed only within the same scheme, host and port; the final URL is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

USER_AGENT = "hbmcycle-refresh (+https://github.com/hbmcycle) data@hbmcycle.invalid"
MIRROR_ENV = "HBMCYCLE_REFRESH_MIRROR"  # tests and CI dry runs point every URL at a loopback server
SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CHUNK_BYTES = 64 * 1024


class FetchError(Exception):
    """A fetch that did not produce a complete, bounded body; the message says why."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 16 * 2**20
    item_s: float = 60.0
    run_s: float = 900.0


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    body: bytes
    fetched_at: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class Deadline:
    """A point on the monotonic clock; `remaining()` is never negative."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def passed(self) -> bool:
        return self.remaining() <= 0


def safe_key(key: str) -> str:
    """An item key usable as a file name: letters, digits, '.', '_', '-'; no path parts, no '..'."""
    if not isinstance(key, str) or not SAFE_KEY.match(key) or ".." in key:
        raise ValueError(f"unsafe item key {key!r} (use letters, digits, '.', '_' or '-'; no '/' or '..')")
    return key


def mirrored(url: str) -> str:
    """`url` rewritten onto $HBMCYCLE_REFRESH_MIRROR as <mirror>/<host>/<path>?<query>, if set."""
    mirror = os.environ.get(MIRROR_ENV)
    if not mirror:
        return url
    parts = urllib.parse.urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{mirror.rstrip('/')}/{parts.hostname}{tail}"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class _SameHostRedirect(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urljoin(req.full_url, newurl)
        if _origin(target) != _origin(req.full_url):
            raise FetchError(f"redirect to another host refused: {req.full_url} -> {target}")
        return super().redirect_request(req, fp, code, msg, headers, target)


_OPENER = urllib.request.build_opener(_SameHostRedirect)


def fetch(url: str, limits: Limits, run_deadline: Deadline) -> Fetched:
    """GET `url` (via the mirror if set) within the limits; raise FetchError naming what failed."""
    target = mirrored(url)
    if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
        raise FetchError(f"only http(s) URLs are fetched, not {target!r}")
    item = Deadline(min(limits.item_s, run_deadline.remaining()))
    if item.passed():
        raise FetchError(f"the whole-run deadline of {run_deadline.seconds:g} s passed before this item")
    fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    request = urllib.request.Request(target, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    which = "item deadline" if item.seconds >= limits.item_s else "whole-run deadline"
    try:
        with _OPENER.open(request, timeout=item.remaining()) as response:
            body = _read_bounded(response, limits.max_bytes, item, which)
            final_url = response.geturl()
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(f"{which} of {item.seconds:g} s passed (timed out)") from None
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"unreachable: {exc.reason}") from None
    except (http.client.HTTPException, OSError) as exc:  # short bodies, resets
        raise FetchError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
    return Fetched(url=url, final_url=final_url, body=body, fetched_at=fetched_at)


def _read_bounded(response, max_bytes: int, item: Deadline, which: str) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"body of {int(declared)} bytes exceeds the cap of {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        if item.passed():
            raise FetchError(f"{which} of {item.seconds:g} s passed after {size} bytes")
        _set_read_timeout(response, item.remaining())
        chunk = response.read1(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"body exceeds the cap of {max_bytes} bytes")
        chunks.append(chunk)


def _set_read_timeout(response, seconds: float) -> None:
    """Shrink the socket timeout as the item deadline approaches (one recv never outlives it)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.01))
