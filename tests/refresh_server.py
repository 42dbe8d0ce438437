"""A loopback HTTP server for refresh tests: serves a folder, plus scripted misbehaviour.

URLs arrive as the mirror form /<host>/<path>?<query> (see fetch.mirrored); the query is
ignored and the file <root>/<host>/<path> is served. `routes` overrides a path with a
callable(handler) for redirects, drips, short bodies and the like. 127.0.0.1 only.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path


class Server:
    def __init__(self, root: Path):
        self.root = root
        self.routes: dict[str, object] = {}
        self.hits: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                server.hits.append(path)
                if path in server.routes:
                    return server.routes[path](self)
                target = (server.root / path.lstrip("/")).resolve()
                if not target.is_file() or server.root.resolve() not in target.parents:
                    return send(self, 404, b"not found")
                return send(self, 200, target.read_bytes())

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler, status: int, body: bytes, headers: dict | None = None) -> None:
    handler.send_response(status)
    for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str):
    return lambda h: send(h, 302, b"", {"Location": location})


def drip(every_s: float, total: int = 100):
    """Send a Content-Length of `total` then one byte every `every_s` seconds."""

    def route(h):
        h.send_response(200)
        h.send_header("Content-Length", str(total))
        h.end_headers()
        try:
            for _ in range(total):
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(every_s)
        except OSError:
            pass

    return route


def short_body(declared: int, sent: bytes):
    """Declare `declared` bytes, send fewer, close the connection."""

    def route(h):
        h.send_response(200)
        h.send_header("Content-Length", str(declared))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(sent)
        h.wfile.flush()
        h.close_connection = True

    return route


def body(data: bytes, status: int = 200):
    return lambda h: send(h, status, data)


REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "refresh"


def make_tree(root: Path) -> Path:
    """A project root holding a full copy of the real data/raw (vintages included) and pipelines/."""
    import shutil

    (root / "data").mkdir(parents=True)
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw", symlinks=True)
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), to show that nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
