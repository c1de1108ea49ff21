"""The live WebSocket: parameter samples and alarm transitions pushed as they are
processed, for the parameters a client subscribed to and may read.

A session lives only as long as its credential: revoking the token that opened it, or
disabling its user, closes it (code 4401) within milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from ilrs.ops.processing.processor import Update
from ilrs.ops.service import OpsService, ns_to_iso

__all__ = ["router"]

router = APIRouter(prefix="/api")
_WS_QUEUE = 1000
#: WebSocket close code when the credential is missing, wrong, revoked or disabled.
CLOSE_UNAUTHORIZED = 4401


def _ws_message(ops: OpsService, user: str, update: Update, wanted: set[str]) -> list[dict]:
    out = []
    received = None if update.reception_ns is None else ns_to_iso(update.reception_ns)
    for name, (t, v, level) in update.samples.items():
        if name in wanted:
            out.append({"type": "parameter", "name": name, "reception_time": received,
                        "time": [ns_to_iso(x) for x in t],
                        "value": np.where(np.isfinite(v), v, None).tolist(),
                        "level": level.tolist()})  # fmt: skip
    for m in update.alarms:
        if ops.policy.can_read_parameter(user, m.parameter):
            out.append({"type": "alarm", "parameter": m.parameter, "time": ns_to_iso(m.time_ns),
                        "state": m.state.value, "previous": m.previous.value,
                        "severity": m.severity,
                        "value": m.value if np.isfinite(m.value) else None})  # fmt: skip
    return out


@router.websocket("/ws")
async def live(websocket: WebSocket, token: str = "") -> None:
    """Send ``{"subscribe": [names]}`` (and ``{"unsubscribe": [names]}``); receive
    parameter samples and alarm transitions."""
    ops: OpsService = websocket.app.state.ops
    session = ops.tokens.cached_session(token) if token else None
    if session is None and token:
        session = await asyncio.to_thread(ops.tokens.session, token)
    if session is None:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="a valid token")
        return
    await websocket.accept()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Update] = asyncio.Queue(maxsize=_WS_QUEUE)
    ended = asyncio.Event()
    wanted: set[str] = set()
    user = session.user

    def push(update: Update) -> None:  # called on the ingest thread
        def put() -> None:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(update)

        loop.call_soon_threadsafe(put)

    def credential_changed(token_id: str | None, disabled_user: str | None) -> None:
        if (token_id is not None and token_id == session.token_id) or disabled_user == user:
            loop.call_soon_threadsafe(ended.set)

    unsubscribe = ops.processor.subscribe(push)
    unwatch = ops.tokens.watch(credential_changed)

    async def reader() -> None:
        while True:
            message = await websocket.receive_json()
            if not isinstance(message, dict):
                continue
            wanted.difference_update(str(n) for n in _names(message, "unsubscribe"))
            names = [str(n) for n in _names(message, "subscribe")]
            allowed = [n for n in names if ops.policy.can_read_parameter(user, n)]
            wanted.update(allowed)
            await websocket.send_json({"type": "subscribed", "names": sorted(wanted),
                                       "refused": sorted(set(names) - set(allowed))})  # fmt: skip

    task = asyncio.create_task(reader())
    closer = asyncio.create_task(ended.wait())
    try:
        while not task.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, task, closer},
                                         return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            if closer in done:
                getter.cancel()
                await websocket.close(code=CLOSE_UNAUTHORIZED, reason="credential revoked")
                break
            if getter not in done:
                getter.cancel()
                break
            for msg in _ws_message(ops, user, getter.result(), wanted):
                await websocket.send_json(msg)
    except WebSocketDisconnect:
        pass
    finally:
        unwatch()
        unsubscribe()
        task.cancel()
        closer.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
            await task


def _names(message: dict, key: str) -> list:
    value = message.get(key, [])
    return value[:1000] if isinstance(value, list) else []
