"""The ASGI app ``ilrs serve`` listens with from its first second, before the station is up.

Standard library only, so that the port opens before the command center, the twin or the
web stack are imported.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable

__all__ = ["Gate"]


class Gate:
    """The ASGI app ``ilrs serve`` listens with before the station is up.

    Until :meth:`open` hands it the command center's app it answers ``GET /api/status``
    with ``{"state": "starting", "stage": …, "progress": …}`` and everything else with 503
    (``Retry-After: 1``); after, ``/api/status`` without a token says ``ready`` (with the
    twin's time) and every other request goes to the app, whose lifespan it runs. After
    :meth:`fail` the status says ``failed`` with the error.
    """

    def __init__(self) -> None:
        self.state = "starting"
        self.stage = "starting"
        self.progress = 0.0
        self.error: str | None = None
        self.twin_time: Callable[[], str] | None = None
        #: set once the server runs its startup: the port answers from here on
        self.listening = threading.Event()
        self._app = None
        self._entered = None
        self._lock: asyncio.Lock | None = None

    def update(self, stage: str, fraction: float) -> None:
        self.stage, self.progress = stage, float(fraction)

    def open(self, app, twin_time: Callable[[], str] | None = None) -> None:
        self.twin_time = twin_time
        self._app = app
        self.state, self.stage, self.progress = "ready", "ready", 1.0

    def fail(self, error: str) -> None:
        self.state, self.error = "failed", error

    def status(self) -> dict:
        out = {"state": self.state, "stage": self.stage, "progress": round(self.progress, 4)}
        if self.error is not None:
            out["error"] = self.error
        if self.state == "ready" and self.twin_time is not None:
            out["twin_time"] = self.twin_time()
        return out

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        headers = dict(scope.get("headers") or ())
        asks_status = scope["type"] == "http" and scope["path"] == "/api/status"
        if asks_status and (self._app is None or b"authorization" not in headers):
            await _send_json(send, 200, self.status())
            return
        if self._app is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})  # try again later
            else:
                await _send_json(send, 503, {"detail": f"starting: {self.stage}", **self.status()},
                                 retry_after=True)
            return
        await self._enter()
        await self._app(scope, receive, send)

    async def _enter(self) -> None:
        """Run the app's own lifespan once (its startup binds the running service)."""
        if self._entered is not None:
            return
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._entered is None:
                context = self._app.router.lifespan_context(self._app)
                await context.__aenter__()
                self._entered = context

    async def _lifespan(self, receive, send) -> None:
        while True:
            try:
                message = await receive()
            except asyncio.CancelledError:  # the server stopped during its startup (a
                return                      # failed warm-up): nothing of ours to close
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                self.listening.set()
            elif message["type"] == "lifespan.shutdown":
                if self._entered is not None:
                    await self._entered.__aexit__(None, None, None)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _send_json(send, status: int, body: dict, retry_after: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode())]
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
