"""The web studio's static files, served by the local API server next to the API.

The page answers at ``/`` and everything else of the studio lives under ``/studio/`` (assets, the
client-side routes, ``/studio/config.json``), so no studio path can shadow an API route. A path under
``/studio/`` that names no file and has no extension is a client-side route and gets the page; a
missing asset is a 404 in the API's error shape. Paths are resolved inside the build folder only
(``..``, symlinks out of it and encoded separators are refused), so a request can never read
another file of the machine.

    >>> files = StudioFiles(Path("studio/dist"))
    >>> files.answer("GET", "/studio/app.js")  # (200, [("Content-Type", "text/javascript; ..."), ...], b"...")
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

PREFIX = "/studio/"
INDEX = "index.html"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wav": "audio/wav",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
Reply = tuple[int, list[tuple[str, str]], bytes]


def _error(status: int, code: str, message: str) -> Reply:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, [("Content-Type", "application/json")], body


class StudioFiles:
    """Answers the studio's paths from a build folder; ``answer`` returns None for every API path."""

    def __init__(self, root: Path, config: dict[str, object] | None = None) -> None:
        self.root = root.resolve()
        # Locally the API is the same origin and there is no sign-in: the page uses a user picker.
        self.config = config if config is not None else {"apiBaseUrl": "", "auth": None}

    @staticmethod
    def owns(path: str) -> bool:
        return path in ("/", "/studio") or path.startswith(PREFIX)

    def answer(self, method: str, path: str) -> Reply | None:
        """The reply for a studio path (``path`` already percent-decoded), or None when the API owns it."""
        if not self.owns(path):
            return None
        if method not in ("GET", "HEAD"):
            return _error(405, "METHOD_NOT_ALLOWED", "The studio's files are read with GET.")
        if path == "/studio/config.json":
            return (
                200,
                [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                json.dumps(self.config).encode(),
            )
        relative = "" if path in ("/", "/studio") else path[len(PREFIX) :]
        parts = [p for p in relative.split("/") if p]
        if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
            return _error(400, "BAD_PATH", "A studio path may not contain '.', '..' or backslashes.")
        target = (self.root.joinpath(*parts) if parts else self.root / INDEX).resolve()
        if not target.is_relative_to(self.root):
            return _error(404, "NOT_FOUND", f"No studio file at {path}.")
        if target.is_file():
            return self._file(target)
        if parts and "." in parts[-1]:
            return _error(404, "NOT_FOUND", f"No studio file at {path}.")
        index = self.root / INDEX
        if not index.is_file():
            return _error(404, "STUDIO_NOT_BUILT", "The studio is not built: run `make studio` (make dev does it).")
        return self._file(index)

    def _file(self, target: Path) -> Reply:
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        # The page and config change with each build; hashed-free assets are revalidated cheaply.
        cache = "no-cache" if target.suffix == ".html" else "public, max-age=300"
        headers = [("Content-Type", kind), ("Cache-Control", cache), ("X-Content-Type-Options", "nosniff")]
        if target.with_name(f"{target.name}.map").is_file():  # the build links no map; the dev server does
            headers.append(("SourceMap", f"{target.name}.map"))
        return 200, headers, target.read_bytes()
