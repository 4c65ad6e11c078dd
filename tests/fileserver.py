"""A local HTTP server of files (http.server in a thread) for the downloaders' tests:
ETag and Last-Modified, 304 to If-None-Match, Range with If-Range, a connection dropped
after so many bytes, any status on demand."""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    """What the server serves, and what it was asked."""

    def __init__(self):
        self.files: dict[str, tuple[bytes, str, str, str]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        # Path → bytes after which the next answer drops the connection (once).
        self.drop_after: dict[str, int] = {}
        # Path → status the server answers instead of the file.
        self.status: dict[str, int] = {}
        self.version = 0
        self.url = ""

    def serve(self, path: str, body: bytes, *, content_type: str = "application/json") -> None:
        self.version += 1
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        modified = formatdate(1_767_225_600 + self.version * 86_400, usegmt=True)
        self.files[path] = (body, etag, modified, content_type)

    def asked(self, name: str) -> list[dict[str, str]]:
        return [headers for path, headers in self.requests if path.endswith(name)]


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            site.requests.append((self.path, dict(self.headers)))
            if self.path in site.status:
                self.send_error(site.status[self.path])
                return
            if self.path not in site.files:
                self.send_error(404)
                return
            body, etag, modified, content_type = site.files[self.path]
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            start, status = 0, 200
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes=") and self.headers.get("If-Range") in (
                None,
                etag,
                modified,
            ):
                start, status = int(wanted[6:].rstrip("-")), 206
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            drop = site.drop_after.pop(self.path, None)
            self.wfile.write(body[start:] if drop is None else body[start : start + drop])
            self.wfile.flush()

    return Handler


@contextmanager
def serving(site: Site | None = None):
    """A running server serving `site` (a new Site by default); `site.url` its address,
    ending with /."""
    site = site if site is not None else Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_port}/"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
