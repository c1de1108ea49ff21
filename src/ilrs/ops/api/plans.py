"""The plan routes of the HTTP API: upload a plan (``POST /api/plans``), repair the current
one (``POST /api/plans/repair``, a flight director's: after a fault), list the stored
versions (``GET /api/plans``) and read one (``GET /api/plans/{version}``, ``/latest``).

Served where a :class:`~ilrs.ops.desks.plans.PlanDesk` runs (``ilrs serve``: the app's
``state.plans``); elsewhere the routes answer 404. Reading a plan needs the read role; it
holds every partner's activities, as the station's plan is one.

An upload may be larger than any other request: ``POST /api/plans`` takes bodies up to
:data:`PLAN_BODY_BYTES` (the rest of the API 64 KiB), refused with 413 before
authentication like every oversized body (:class:`~ilrs.ops.api.guard.BodyLimit`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response

from ilrs.ops.api.deps import CurrentUser, Cursor, Limit, Reader, app_state, page, parse_cursor
from ilrs.ops.desks.plans import PlanDesk, PlanIn
from ilrs.ops.desks.repair import RepairIn
from ilrs.ops.security.policy import Action

__all__ = ["PLAN_BODY_BYTES", "router"]

router = APIRouter(prefix="/api")

#: The body limit of ``POST /api/plans``: the most activities the desk accepts
#: (``MAX_ACTIVITIES``, 2,000) as ``ilrs plan`` writes them (~560 bytes each, indented;
#: a 14-day plan of 716 activities is 398 kB) fit with room to spare.
PLAN_BODY_BYTES = 2 * 1024 * 1024


Desk = Annotated[PlanDesk, Depends(app_state(
    "plans", "plans are delivered by ilrs serve (no plan desk here)"))]


def _summary(record) -> dict[str, Any]:
    from ilrs.ops.service import ns_to_iso

    return {"version": record.version, "time": ns_to_iso(record.time_ns), "user": record.user,
            "reason": record.reason, "activities": record.activities,
            "commands": record.commands}  # fmt: skip


@router.post("/plans", status_code=201)
def upload(body: PlanIn, desk: Desk, user: CurrentUser) -> dict[str, Any]:
    return desk.upload(user=user, body=body).public()


@router.post("/plans/repair")
def repair(body: RepairIn, desk: Desk, user: CurrentUser) -> dict[str, Any]:
    """Repair the current plan from now (a fault declared, or an operator's request) and
    deliver the new version: flight directors and admins."""
    if desk.replanner is None:
        raise HTTPException(404, "no planner runs here")
    return desk.replanner.replan(user=user, body=body, require=Action.APPROVE).public()


@router.get("/plans")
def versions(desk: Desk, user: Reader, response: Response, limit: Limit = 1000,
             cursor: Cursor = None) -> list[dict[str, Any]]:  # fmt: skip
    after = parse_cursor(cursor, 1)
    rows = desk.versions(after_version=0 if after is None else after[0], limit=limit + 1)
    return page(response, rows, limit, lambda r: str(r.version), _summary)


@router.get("/plans/latest")
def latest(desk: Desk, user: Reader, allow_none: bool = False) -> dict[str, Any] | None:
    """The newest stored version with its plan (the dashboard's plan view); before any
    upload 404, or ``null`` with ``?allow_none=true`` (a page asking whether there is one
    need not log a failed request)."""
    last = desk.ops.archive.last_plan_version()
    if not last:
        if allow_none:
            return None
        raise HTTPException(404, "no plan uploaded yet")
    return version(last, desk, user)


@router.get("/plans/{version}")
def version(version: Annotated[int, Path(ge=1, le=2**62)], desk: Desk,
            user: Reader) -> dict[str, Any]:  # fmt: skip
    import json

    record = desk.version(version)
    if record is None:
        raise HTTPException(404, f"no plan version {version}")
    return _summary(record) | {"plan": json.loads(record.body)}
