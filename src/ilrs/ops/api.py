"""The HTTP face of the command center: REST and a WebSocket, built by ``create_app``.

Thin routes: parse, authorize (role guards as dependencies, partner checks per APID),
call the service, map errors to HTTP codes. Times are UTC ISO strings at this edge.
Authentication is a bearer token (``Authorization: Bearer ilrs_…``; the WebSocket takes
``?token=``). Every state-changing call is written to the audit log with its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.websockets import WebSocketDisconnect

from ilrs.errors import (
    ArchiveError,
    CommandRejectedError,
    IlrsError,
    InputError,
    PermissionDeniedError,
)
from ilrs.ops.alarms import Alarm
from ilrs.ops.audit import verify
from ilrs.ops.auth import Action
from ilrs.ops.processor import Update
from ilrs.ops.service import OpsService, OpsSettings, iso_to_ns, ns_to_iso
from ilrs.ops.web import mount_dashboard
from ilrs.ops.xtce import export_xtce

__all__ = ["create_app"]

_bearer = HTTPBearer(auto_error=False)
_WS_QUEUE = 1000


def get_ops(request: Request) -> OpsService:
    return request.app.state.ops


Ops = Annotated[OpsService, Depends(get_ops)]


def current_user(
    ops: Ops, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    user = None if creds is None else ops.tokens.authenticate(creds.credentials)
    if user is None:
        raise HTTPException(401, "a valid bearer token", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[str, Depends(current_user)]


def require(action: Action):
    """A dependency letting through users whose roles grant ``action`` somewhere."""

    def guard(ops: Ops, user: CurrentUser) -> str:
        ops.policy.require(user, action)
        return user

    return Depends(guard)


Limit = Annotated[int, Query(gt=0, le=10_000)]
Reader = Annotated[str, require(Action.READ)]
Admin = Annotated[str, require(Action.ADMIN)]
Auditor = Annotated[str, require(Action.AUDIT)]


# ---------------------------------------------------------------------------- schemas


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommandCreate(_Schema):
    name: str
    arguments: dict[str, float | int | bool] = Field(default_factory=dict)
    #: Release on board at this UTC of the spacecraft's clock (PUS 11 time-based schedule;
    #: for the twin its simulated UTC, see ``status.twin_time``); None: execute now.
    release_at_utc: str | None = None


class ShelveRequest(_Schema):
    duration_s: float = Field(gt=0)


class TokenCreate(_Schema):
    user: str


def _alarm_public(a: Alarm) -> dict[str, Any]:
    return {
        "parameter": a.parameter, "state": a.state.value, "severity": a.severity,
        "max_severity": {1: "warning", 2: "critical"}.get(a.max_level, "ok"),
        "trigger_time": ns_to_iso(a.trigger_ns), "trigger_value": a.trigger_value,
        "last_time": ns_to_iso(a.last_ns), "last_value": a.last_value,
        "ack_user": a.ack_user,
        "shelved_until": None if a.shelved_until_ns is None else ns_to_iso(a.shelved_until_ns),
    }  # fmt: skip


def _command_public(entry) -> dict[str, Any]:
    out = entry.public()
    out["created"] = ns_to_iso(out.pop("created_ns"))
    # release_at_utc (scheduled commands) stays as given: the spacecraft's UTC, not ground's
    for s in out["stages"]:
        s["time"] = ns_to_iso(s.pop("time_ns"))
    return out


def _check_parameter(ops: OpsService, user: str, name: str) -> None:
    known = {p.name for p in ops.mdb.parameters} | {d.name for d in ops.processor.derived}
    if name not in known:
        raise HTTPException(404, f"no parameter {name}")
    derived = {d.name: d for d in ops.processor.derived}
    names = derived[name].used if name in derived else {name}
    for n in names:
        if not ops.policy.can_read_parameter(user, n):
            raise PermissionDeniedError(user, "read", n)


# ----------------------------------------------------------------------------- routes

router = APIRouter(prefix="/api")

#: The spacecraft's own UTC (seconds since 1970) in housekeeping, when the database has it:
#: the station twin's simulated time, in which scheduled release times are given.
TWIN_UTC_PARAMETER = "station.time.utc_s"


@router.get("/status")
def status(ops: Ops, user: Reader) -> dict[str, Any]:
    return {
        "user": user, "time": ns_to_iso(ops.clock()),
        "twin_time": _twin_time(ops),
        "link_connected": ops.link is not None and ops.link.connected.is_set(),
        "ingest": asdict(ops.processor.stats),
        "link": None if ops.link is None else ops.link.stats.as_dict(),
    }  # fmt: skip


def _twin_time(ops: OpsService) -> str | None:
    """The spacecraft's UTC from its latest housekeeping (None before any)."""
    value = ops.processor.latest_value(TWIN_UTC_PARAMETER)  # a clock, not partner data
    return None if value is None or not math.isfinite(value) else ns_to_iso(round(value * 1e9))


@router.get("/mdb/parameters")
def list_parameters(ops: Ops, user: Reader) -> list[dict[str, Any]]:
    """What the user may read, each with the element (APID) that sends it and its owner."""
    apids = {a.apid: a for a in ops.mdb.apids}
    sender = {e.parameter: apids.get(c.apid) for c in ops.mdb.containers for e in c.entries}
    out = [
        {"name": p.name, "type": p.type, "unit": p.unit, "description": p.description,
         "limits": None if p.limits is None else p.limits.model_dump(),
         "element": sender[p.name].name if sender.get(p.name) else None,
         "owner": sender[p.name].owner if sender.get(p.name) else None}
        for p in ops.mdb.parameters if ops.policy.can_read_parameter(user, p.name)
    ]  # fmt: skip
    out += [{"name": d.name, "type": "float64", "unit": d.unit, "description": d.expression,
             "limits": None, "element": None, "owner": None} for d in ops.processor.derived
            if all(ops.policy.can_read_parameter(user, n) for n in d.used)]  # fmt: skip
    return out


@router.get("/mdb/commands")
def list_commands(ops: Ops, user: Reader) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in ops.mdb.commands
            if ops.policy.can(user, Action.READ, apid=c.apid)]  # fmt: skip


@router.get("/mdb/xtce", response_class=PlainTextResponse)
def xtce(ops: Ops, user: Admin) -> str:
    return export_xtce(ops.mdb)


@router.get("/parameters/{name}/latest")
def latest(name: str, ops: Ops, user: Reader) -> dict[str, Any]:
    _check_parameter(ops, user, name)
    entry = ops.processor.latest.get(name)
    if entry is None:
        raise HTTPException(404, f"no value of {name} yet")
    return {"name": name, "time": ns_to_iso(entry[0]), "value": entry[1], "level": entry[2]}


@router.get("/parameters/{name}/samples")
def samples(name: str, ops: Ops, user: Reader, start: str, stop: str,
            limit: Annotated[int, Query(gt=0, le=100_000)] = 10_000) -> dict[str, Any]:  # fmt: skip
    _check_parameter(ops, user, name)
    t, v = ops.archive.samples(name, iso_to_ns(start), iso_to_ns(stop))
    return {"name": name, "time": [ns_to_iso(x) for x in t[:limit]],
            "value": np.where(np.isfinite(v[:limit]), v[:limit], None).tolist(),
            "truncated": bool(t.size > limit)}  # fmt: skip


@router.get("/parameters/{name}/downsample")
def downsample(name: str, ops: Ops, user: Reader, start: str, stop: str,
               buckets: Limit = 1000) -> dict[str, Any]:  # fmt: skip
    _check_parameter(ops, user, name)
    d = ops.archive.downsample(name, iso_to_ns(start), iso_to_ns(stop), buckets)
    return {"name": name, "time": [ns_to_iso(x) for x in d.time_ns], "min": d.min.tolist(),
            "max": d.max.tolist(), "count": d.count.tolist()}  # fmt: skip


@router.get("/packets")
def packets(ops: Ops, user: Reader, start: str, stop: str, apid: int | None = None,
            limit: Limit = 1000) -> list[dict[str, Any]]:  # fmt: skip
    readable = ops.policy.readable_apids(user)
    apids = readable if apid is None else {apid} & (readable if readable is not None else {apid})
    rows = ops.archive.packets(start_ns=iso_to_ns(start), stop_ns=iso_to_ns(stop), apids=apids,
                               limit=limit)  # fmt: skip
    return [{"generation_time": ns_to_iso(p.generation_ns),
             "reception_time": ns_to_iso(p.reception_ns), "apid": p.apid,
             "seq_count": p.seq_count, "data": p.data.hex()} for p in rows]  # fmt: skip


@router.get("/events")
def events(ops: Ops, user: Reader, start: str | None = None, stop: str | None = None
           ) -> list[dict[str, Any]]:  # fmt: skip
    rows = ops.archive.events(start_ns=iso_to_ns(start) if start else -(2**63),
                              stop_ns=iso_to_ns(stop) if stop else 2**63 - 1)  # fmt: skip
    return [{"time": ns_to_iso(e.time_ns), "source": e.source, "severity": e.severity,
             "message": e.message, "apid": e.apid} for e in rows
            if e.apid is None or ops.policy.can(user, Action.READ, apid=e.apid)]  # fmt: skip


@router.get("/alarms")
def alarms(ops: Ops, user: Reader) -> list[dict[str, Any]]:
    return [_alarm_public(a) for a in ops.processor.alarms.active()
            if ops.policy.can_read_parameter(user, a.parameter)]  # fmt: skip


def _alarm_action(ops: OpsService, user: str, name: str, action: str, **kw) -> dict[str, Any]:
    with ops.audited(user, f"alarm.{action}", {"parameter": name, **kw}):
        if not ops.policy.can_read_parameter(user, name) or not ops.policy.can(
                user, Action.ALARM):  # fmt: skip
            raise PermissionDeniedError(user, f"{action} the alarm of", name)
        move = ops.processor.alarm_action(action, name, user=user, now_ns=ops.clock(), **kw)
    return {"parameter": name, "state": move.state.value, "time": ns_to_iso(move.time_ns)}


@router.post("/alarms/{name}/acknowledge")
def acknowledge(name: str, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    return _alarm_action(ops, user, name, "acknowledge")


@router.post("/alarms/{name}/shelve")
def shelve(name: str, body: ShelveRequest, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    return _alarm_action(ops, user, name, "shelve", duration_s=body.duration_s)


@router.post("/alarms/{name}/unshelve")
def unshelve(name: str, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    return _alarm_action(ops, user, name, "unshelve")


@router.post("/commands", status_code=201)
def issue_command(body: CommandCreate, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    with ops.audited(user, "command.issue", body.model_dump(exclude_none=True)):
        entry = ops.commander.issue(user=user, name=body.name, arguments=body.arguments,
                                    release_at_utc=body.release_at_utc)  # fmt: skip
    return _command_public(entry)


@router.get("/commands")
def command_history(ops: Ops, user: Reader) -> list[dict[str, Any]]:
    return [_command_public(e) for e in ops.commander.entries()
            if ops.policy.can(user, Action.READ, apid=e.definition.apid)]  # fmt: skip


@router.get("/commands/{command_id}")
def command(command_id: str, ops: Ops, user: Reader) -> dict[str, Any]:
    entry = ops.commander.get(command_id)
    if not ops.policy.can(user, Action.READ, apid=entry.definition.apid):
        raise PermissionDeniedError(user, "read", f"command {command_id}")
    return _command_public(entry)


@router.post("/commands/{command_id}/approve")
def approve(command_id: str, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    with ops.audited(user, "command.approve", {"id": command_id}):
        entry = ops.commander.approve(command_id, user=user)
    return _command_public(entry)


@router.post("/commands/{command_id}/cancel")
def cancel(command_id: str, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    with ops.audited(user, "command.cancel", {"id": command_id}):
        entry = ops.commander.cancel(command_id, user=user)
    return _command_public(entry)


@router.get("/audit")
def audit(ops: Ops, user: Auditor, after_seq: int = -1,
          limit: Limit = 1000) -> list[dict[str, Any]]:  # fmt: skip
    return [{"seq": r.seq, "time": ns_to_iso(r.time_ns), "user": r.user, "action": r.action,
             "request": json.loads(r.request), "outcome": r.outcome, "hash": r.hash}
            for r in ops.archive.audit_records(after_seq=after_seq, limit=limit)]  # fmt: skip


@router.get("/audit/verify")
def audit_verify(ops: Ops, user: Auditor) -> dict[str, Any]:
    v = verify(ops.archive)
    return {"ok": v.ok, "records": v.records, "head": v.head, "first_bad": v.first_bad,
            "problem": v.problem}  # fmt: skip


@router.post("/tokens", status_code=201)
def issue_token(body: TokenCreate, ops: Ops, user: Admin) -> dict[str, str]:
    with ops.audited(user, "token.issue", {"user": body.user}):
        token = ops.tokens.issue(body.user, now_ns=ops.clock())
    return {"id": token.id, "token": token.secret, "user": body.user}


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: str, ops: Ops, user: Admin) -> dict[str, Any]:
    with ops.audited(user, "token.revoke", {"id": token_id}):
        revoked = ops.tokens.revoke(token_id, now_ns=ops.clock())
    if not revoked:
        raise HTTPException(404, f"no active token {token_id}")
    return {"id": token_id, "revoked": True}


# -------------------------------------------------------------------------- websocket


def _ws_message(ops: OpsService, user: str, update: Update, wanted: set[str]) -> list[dict]:
    out = []
    for name, (t, v, level) in update.samples.items():
        if name in wanted:
            out.append({"type": "parameter", "name": name,
                        "time": [ns_to_iso(x) for x in t],
                        "value": np.where(np.isfinite(v), v, None).tolist(),
                        "level": level.tolist()})  # fmt: skip
    for m in update.alarms:
        if ops.policy.can_read_parameter(user, m.parameter):
            out.append({"type": "alarm", "parameter": m.parameter, "time": ns_to_iso(m.time_ns),
                        "state": m.state.value, "previous": m.previous.value,
                        "severity": m.severity, "value": m.value})  # fmt: skip
    return out


@router.websocket("/ws")
async def live(websocket: WebSocket, token: str = "") -> None:
    """Send ``{"subscribe": [names]}`` (and ``{"unsubscribe": [names]}``); receive
    parameter samples and alarm transitions."""
    ops: OpsService = websocket.app.state.ops
    user = await asyncio.to_thread(ops.tokens.authenticate, token) if token else None
    if user is None:
        await websocket.close(code=4401, reason="a valid token")
        return
    await websocket.accept()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Update] = asyncio.Queue(maxsize=_WS_QUEUE)
    wanted: set[str] = set()

    def push(update: Update) -> None:  # called on the ingest thread
        def put() -> None:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(update)

        loop.call_soon_threadsafe(put)

    unsubscribe = ops.processor.subscribe(push)

    async def reader() -> None:
        while True:
            message = await websocket.receive_json()
            wanted.difference_update(str(n) for n in message.get("unsubscribe", []))
            names = [str(n) for n in message.get("subscribe", [])]
            allowed = [n for n in names if ops.policy.can_read_parameter(user, n)]
            wanted.update(allowed)
            await websocket.send_json({"type": "subscribed", "names": sorted(wanted),
                                       "refused": sorted(set(names) - set(allowed))})  # fmt: skip

    task = asyncio.create_task(reader())
    try:
        while not task.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            for msg in _ws_message(ops, user, getter.result(), wanted):
                await websocket.send_json(msg)
    except WebSocketDisconnect:
        pass
    finally:
        unsubscribe()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
            await task


# ------------------------------------------------------------------------------- app


def _error(status: int):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=status)

    return handler


def create_app(settings: OpsSettings, *, service: OpsService | None = None) -> FastAPI:
    """The FastAPI application; the command center starts with the app and stops with it.

    ``service`` lets a caller (``ilrs serve``, tests) pass an already built service, e.g.
    one whose clock is the twin's.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ops = service if service is not None else OpsService(settings)
        app.state.ops = ops.start()
        try:
            yield
        finally:
            ops.stop()

    app = FastAPI(
        title="ilrs command center",
        version="0.1.0",
        description="Telemetry, commanding, alarms and archive of the ILRS twin.",
        lifespan=lifespan,
    )
    app.include_router(router)
    app.add_exception_handler(PermissionDeniedError, _error(403))
    app.add_exception_handler(CommandRejectedError, _error(409))
    app.add_exception_handler(InputError, _error(422))
    app.add_exception_handler(ArchiveError, _error(503))
    app.add_exception_handler(IlrsError, _error(400))
    if settings.web_dir is not None:
        mount_dashboard(app, settings.web_dir)  # after the API routes: /api keeps precedence
    return app
