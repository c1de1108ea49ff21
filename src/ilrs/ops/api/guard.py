"""What stands between the network and the routes: a request-size limit applied before
anything reads the body (before authentication), and error handlers that turn every bad
input into a 4xx naming the field — never a 5xx, never an echo of the bad value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ilrs.errors import InputError

__all__ = ["BodyLimit", "error_handler", "validation_handler"]

#: Longest error detail sent back (a bad value is named, not echoed in full).
_DETAIL_CHARS = 300


class BodyLimit:
    """Pure ASGI middleware: refuse a body over ``max_bytes`` with 413 before the
    application (routing, authentication, parsing) sees it. A declared
    ``Content-Length`` is checked without reading a byte; a chunked body is read up to the
    limit and refused as soon as it passes it.

    ``routes`` raises (or lowers) the limit of single routes, by method and exact path:
    ``{("POST", "/api/plans"): 2 << 20}`` lets a plan through and keeps ``max_bytes``
    everywhere else."""

    def __init__(self, app: Any, max_bytes: int,
                 routes: Mapping[tuple[str, str], int] | None = None):  # fmt: skip
        self.app = app
        self.max_bytes = int(max_bytes)
        self.routes = {(m.upper(), path): int(n) for (m, path), n in (routes or {}).items()}

    def limit(self, method: str, path: str) -> int:
        """The body limit of a request to ``method path``, bytes."""
        return self.routes.get((method.upper(), path), self.max_bytes)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope.get("method", ""), scope.get("path", ""))
        headers = dict(scope.get("headers") or ())
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._refuse(send, limit)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await self._refuse(send, limit)
                return
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any, limit: int) -> None:
        body = json.dumps({"detail": f"request body: at most {limit} bytes",
                           "error": "RequestTooLarge", "field": "body"}).encode()  # fmt: skip
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def _short(text: str) -> str:
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def error_handler(status: int):
    """An ``IlrsError`` → ``status`` with its message (shortened) and, for bad input, the
    field."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        body = {"detail": _short(str(exc)), "error": type(exc).__name__}
        if isinstance(exc, InputError):
            body["field"] = exc.what
        return JSONResponse(body, status_code=status)

    return handler


async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field and what it should be, without echoing its value (which
    may be huge, or NaN that JSON cannot carry)."""
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "msg": str(e.get("msg", "")),
               "type": str(e.get("type", ""))} for e in exc.errors()]  # fmt: skip
    detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:5])
    return JSONResponse({"detail": _short(detail), "error": "RequestValidationError",
                         "field": errors[0]["field"] if errors else "",
                         "errors": errors[:20]}, status_code=422)  # fmt: skip
