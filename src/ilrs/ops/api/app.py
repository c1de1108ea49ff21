"""The HTTP face of the command center: REST and a WebSocket, built by ``create_app``.

Thin routes: parse, authorize (role guards as dependencies, partner checks per APID),
call the service, map errors to HTTP codes. Times are UTC ISO strings at this edge.
Authentication is a bearer token (``Authorization: Bearer ilrs_…``; the WebSocket takes
``?token=``). Every state-changing call is written to the audit log with its outcome.
Telemetry and commanding are here; tokens, users and the audit log in ``api_admin``;
the WebSocket in ``api_ws``; shared dependencies and paging in ``api_deps``; the size
limit and error mapping in ``api_guard``.
"""

from __future__ import annotations

import contextlib
import gc
import math
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, FastAPI, HTTPException, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from ilrs.errors import (
    ArchiveError,
    CommandRejectedError,
    IlrsError,
    InputError,
    PermissionDeniedError,
)
from ilrs.ops.api.admin import router as admin_router
from ilrs.ops.api.deps import (
    Admin,
    CurrentSession,
    CurrentUser,
    Cursor,
    Limit,
    Ops,
    Reader,
    page,
    parse_cursor,
)
from ilrs.ops.api.guard import BodyLimit, error_handler, validation_handler
from ilrs.ops.api.lighting import router as lighting_router
from ilrs.ops.api.me import router as me_router
from ilrs.ops.api.pages import mount_dashboard
from ilrs.ops.api.plans import PLAN_BODY_BYTES
from ilrs.ops.api.plans import router as plan_router
from ilrs.ops.api.ws import router as ws_router
from ilrs.ops.processing.alarms import Alarm
from ilrs.ops.security.policy import Action
from ilrs.ops.service import OpsService, OpsSettings, iso_to_ns, ns_to_iso
from ilrs.ops.tmtc.xtce import export_xtce

__all__ = ["create_app"]

Apid = Annotated[int | None, Query(ge=0, le=0x7FF)]
#: The GIL switch interval while the API serves (see ``create_app``).
GIL_SWITCH_S = 0.0005


# ---------------------------------------------------------------------------- schemas


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CommandCreate(_Schema):
    name: str = Field(max_length=200)
    arguments: dict[str, float | int | bool] = Field(default_factory=dict, max_length=64)
    #: Release on board at this UTC of the spacecraft's clock (PUS 11 time-based schedule;
    #: for the twin its simulated UTC, see ``status.twin_time``); None: execute now.
    release_at_utc: str | None = Field(default=None, max_length=64)


class ShelveRequest(_Schema):
    duration_s: float = Field(gt=0, le=30 * 86_400)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _alarm_public(a: Alarm) -> dict[str, Any]:
    return {
        "parameter": a.parameter, "state": a.state.value, "severity": a.severity,
        "max_severity": {1: "warning", 2: "critical"}.get(a.max_level, "ok"),
        "trigger_time": ns_to_iso(a.trigger_ns), "trigger_value": _finite(a.trigger_value),
        "last_time": ns_to_iso(a.last_ns), "last_value": _finite(a.last_value),
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
    used = ops.processor.inputs_of(name)
    if used is None:
        raise HTTPException(404, f"no parameter {name}")
    for n in used:
        if not ops.policy.can_read_parameter(user, n):
            raise PermissionDeniedError(user, "read", n)


def _window(start: str, stop: str) -> tuple[int, int]:
    t0, t1 = iso_to_ns(start, what="start"), iso_to_ns(stop, what="stop")
    if t1 <= t0:
        raise InputError("stop", stop, f"an instant after start ({start})")
    return t0, t1


# ----------------------------------------------------------------------------- routes

router = APIRouter(prefix="/api")

#: The spacecraft's own UTC (seconds since 1970) in housekeeping, when the database has it:
#: the station twin's simulated time, in which scheduled release times are given.
TWIN_UTC_PARAMETER = "station.time.utc_s"


@router.get("/status")
async def status(ops: Ops, user: Reader) -> dict[str, Any]:
    return {
        "user": user, "time": ns_to_iso(ops.clock()),
        "twin_time": _twin_time(ops),
        # the operators' clock: the spacecraft's UTC now and how fast it runs
        "mission_time": ns_to_iso(ops.mission_clock()), "mission_speed": ops.mission_speed,
        "link_connected": ops.link is not None and ops.link.connected.is_set(),
        "ingest": asdict(ops.processor.stats),
        "link": None if ops.link is None else ops.link.live_stats(),
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
async def latest(name: str, ops: Ops, user: Reader) -> JSONResponse:
    """The latest value (the hot route of every display): answered on the event loop
    from memory, returned as a ready response (no response-model pass)."""
    _check_parameter(ops, user, name)
    entry = ops.processor.latest.get(name)
    if entry is None:
        raise HTTPException(404, f"no value of {name} yet")
    received = ops.processor.received_ns.get(name)
    return JSONResponse({"name": name, "time": ns_to_iso(entry[0]), "value": _finite(entry[1]),
                         "level": entry[2],
                         "reception_time": None if received is None else ns_to_iso(received)})


@router.get("/parameters/{name}/samples")
def samples(name: str, ops: Ops, user: Reader, start: str, stop: str,
            limit: Annotated[int, Query(gt=0, le=100_000)] = 10_000) -> dict[str, Any]:  # fmt: skip
    _check_parameter(ops, user, name)
    t, v = ops.archive.samples(name, *_window(start, stop))
    return {"name": name, "time": [ns_to_iso(x) for x in t[:limit]],
            "value": np.where(np.isfinite(v[:limit]), v[:limit], None).tolist(),
            "truncated": bool(t.size > limit)}  # fmt: skip


@router.get("/parameters/{name}/downsample")
async def downsample(name: str, ops: Ops, user: Reader, start: str, stop: str,
                     buckets: Limit = 1000) -> JSONResponse:  # fmt: skip
    """Min / max per bucket: on the event loop (no thread hop), as its cost is bounded by
    the bucket count and the per-second summaries (a day of one parameter: a few ms); reads
    go to the archive's reader connection and never wait for an ingest commit."""
    _check_parameter(ops, user, name)
    d = ops.archive.downsample(name, *_window(start, stop), buckets)
    return JSONResponse({"name": name, "time": [ns_to_iso(x) for x in d.time_ns],
                         "min": np.where(np.isfinite(d.min), d.min, None).tolist(),
                         "max": np.where(np.isfinite(d.max), d.max, None).tolist(),
                         "count": d.count.tolist()})  # fmt: skip


@router.get("/packets")
def packets(ops: Ops, user: Reader, response: Response, start: str, stop: str,
            apid: Apid = None, limit: Limit = 1000, cursor: Cursor = None
            ) -> list[dict[str, Any]]:  # fmt: skip
    readable = ops.policy.readable_apids(user)
    apids = readable if apid is None else {apid} & (readable if readable is not None else {apid})
    rows = ops.archive.packets(start_ns=iso_to_ns(start, what="start"),
                               stop_ns=iso_to_ns(stop, what="stop"), apids=apids,
                               after=parse_cursor(cursor, 2), limit=limit + 1)  # fmt: skip
    return page(response, rows, limit, lambda p: (p.generation_ns, p.id), lambda p: {
        "generation_time": ns_to_iso(p.generation_ns),
        "reception_time": ns_to_iso(p.reception_ns), "apid": p.apid,
        "seq_count": p.seq_count, "data": p.data.hex()})  # fmt: skip


@router.get("/events")
def events(ops: Ops, user: Reader, response: Response, start: str | None = None,
           stop: str | None = None, limit: Limit = 1000, cursor: Cursor = None
           ) -> list[dict[str, Any]]:  # fmt: skip
    """Events of the APIDs the user may read (and those of no APID), filtered before the
    page is cut."""
    rows = ops.archive.events(
        start_ns=iso_to_ns(start, what="start") if start else -(2**63),
        stop_ns=iso_to_ns(stop, what="stop") if stop else 2**63 - 1,
        apids=ops.policy.readable_apids(user), after=parse_cursor(cursor, 2), limit=limit + 1)
    return page(response, rows, limit, lambda e: (e.time_ns, e.id), lambda e: {
        "time": ns_to_iso(e.time_ns), "source": e.source, "severity": e.severity,
        "message": e.message, "apid": e.apid})  # fmt: skip


@router.get("/alarms")
def alarms(ops: Ops, user: Reader, response: Response, limit: Limit = 1000,
           cursor: Cursor = None) -> list[dict[str, Any]]:  # fmt: skip
    """Active alarms the user may see, by parameter name (the cursor is the last name)."""
    rows = sorted((a for a in ops.processor.alarms.active()
                   if ops.policy.can_read_parameter(user, a.parameter)
                   and (cursor is None or a.parameter > cursor)),
                  key=lambda a: a.parameter)  # fmt: skip
    return page(response, rows, limit, lambda a: a.parameter, _alarm_public)


def _alarm_action(ops: OpsService, user: str, name: str, action: str, **kw) -> dict[str, Any]:
    with ops.audited(user, f"alarm.{action}", {"parameter": name, **kw}):
        if not ops.policy.can_read_parameter(user, name) or not ops.policy.can(
                user, Action.ALARM):  # fmt: skip
            raise PermissionDeniedError(user, f"{action} the alarm of", name)
        move = ops.processor.alarm_action(action, name, user=user, now_ns=ops.mission_clock(),
                                          **kw)  # fmt: skip
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
def command_history(ops: Ops, user: Reader, response: Response, limit: Limit = 1000,
                    cursor: Cursor = None) -> list[dict[str, Any]]:  # fmt: skip
    """The commands of the APIDs the user may read, oldest first."""
    after = parse_cursor(cursor, 1)
    rows = [e for e in ops.commander.entries(after_seq=None if after is None else after[0])
            if ops.policy.can(user, Action.READ, apid=e.definition.apid)]  # fmt: skip
    return page(response, rows, limit, lambda e: str(e.order), _command_public)


def _readable_command(ops: OpsService, user: str, command_id: str):
    """The command if the user may see it; an unknown id and another partner's command
    both answer 404, so that neither existence nor state leaks."""
    entry = ops.commander.find(command_id)
    if entry is None or not ops.policy.can(user, Action.READ, apid=entry.definition.apid):
        raise HTTPException(404, f"no command {command_id}")
    return entry


@router.get("/commands/{command_id}")
def command(command_id: str, ops: Ops, user: Reader) -> dict[str, Any]:
    return _command_public(_readable_command(ops, user, command_id))


@router.post("/commands/{command_id}/approve")
def approve(command_id: str, ops: Ops, session: CurrentSession) -> dict[str, Any]:
    user = session.user
    with ops.audited(user, "command.approve", {"id": command_id}):
        entry = _readable_command(ops, user, command_id)
        if session.enrolled_by is not None and session.enrolled_by == entry.user:
            # the issuer enrolled this token itself: it may have redeemed it (one person)
            raise PermissionDeniedError(user, "approve", f"with a token enrolled by the "
                                        f"issuer {entry.user} (two-person rule)")
        entry = ops.commander.approve(command_id, user=user)
    return _command_public(entry)


@router.post("/commands/{command_id}/cancel")
def cancel(command_id: str, ops: Ops, user: CurrentUser) -> dict[str, Any]:
    with ops.audited(user, "command.cancel", {"id": command_id}):
        _readable_command(ops, user, command_id)
        entry = ops.commander.cancel(command_id, user=user)
    return _command_public(entry)


# ------------------------------------------------------------------------------- app


def create_app(settings: OpsSettings, *, service: OpsService | None = None,
               plans: Any = None, lighting: Any = None) -> FastAPI:
    """The FastAPI application; the command center starts with the app and stops with it.

    ``service`` lets a caller (``ilrs serve``, tests) pass an already built service, e.g.
    one whose clock is the twin's; ``plans`` the :class:`~ilrs.ops.desks.plans.PlanDesk`
    that serves ``/api/plans`` (without it those routes answer 404); ``lighting`` the
    :class:`~ilrs.ops.desks.lighting.LightingDesk` behind ``/api/lighting/products``.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ops = service if service is not None else OpsService(settings)
        app.state.ops = ops.start()
        # the event loop serves every client; a background thread (ingest, the twin) that
        # holds the GIL makes it wait up to the switch interval at each of its system
        # calls (5 ms by default): with many clients that convoy is the tail latency
        switch_s = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_s, GIL_SWITCH_S))
        # what exists now (the mission database, the twin, the campaign: long-lived) leaves
        # the cyclic collector's view, so a full collection triggered by request garbage
        # does not walk it (a pause of tens to hundreds of ms in every client's latency)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            sys.setswitchinterval(switch_s)
            gc.unfreeze()
            ops.stop()

    app = FastAPI(
        title="ilrs command center",
        version="0.1.0",
        description="Telemetry, commanding, alarms and archive of the ILRS twin.",
        lifespan=lifespan,
    )
    app.state.plans = plans
    app.state.lighting = lighting
    app.include_router(router)
    app.include_router(plan_router)
    app.include_router(lighting_router)
    app.include_router(admin_router)
    app.include_router(me_router)
    app.include_router(ws_router)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(PermissionDeniedError, error_handler(403))
    app.add_exception_handler(CommandRejectedError, error_handler(409))
    app.add_exception_handler(InputError, error_handler(422))
    app.add_exception_handler(ArchiveError, error_handler(503))
    app.add_exception_handler(IlrsError, error_handler(400))
    # plans are the one large upload: their route alone takes more than max_body_bytes
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       routes={("POST", "/api/plans"): max(PLAN_BODY_BYTES,
                                                           settings.max_body_bytes)})
    if settings.web_dir is not None:
        mount_dashboard(app, settings.web_dir)  # after the API routes: /api keeps precedence
    return app
