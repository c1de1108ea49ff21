"""Who the caller is and what its roles let it do (``GET /api/me``), so that the dashboard
offers only what a user may do: no Send button for a viewer, no fault panel for a
partner operator. The routes still check every request; this only tells in advance.

``may`` maps each thing the dashboard offers to whether the caller's roles grant it,
from the same :class:`~ilrs.ops.security.policy.AccessPolicy` the routes ask.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ilrs.ops.api.deps import CurrentUser, Ops
from ilrs.ops.security.policy import Action

__all__ = ["CAPABILITIES", "router"]

router = APIRouter(prefix="/api")

#: What the dashboard offers → the action the server checks for it (on some APID).
CAPABILITIES: dict[str, Action] = {
    "send_commands": Action.COMMAND,           # POST /api/commands (on command_apids)
    "approve_commands": Action.APPROVE,        # POST /api/commands/{id}/approve
    "cancel_others_commands": Action.APPROVE,  # POST /api/commands/{id}/cancel (not one's own)
    "acknowledge_alarms": Action.ALARM,        # POST /api/alarms/{name}/acknowledge, shelve
    "upload_plans": Action.COMMAND,            # POST /api/plans (its own partner's elements)
    "declare_faults": Action.APPROVE,          # POST /api/plans/repair
    "request_lighting": Action.COMMAND,        # POST /api/lighting/products
    "cancel_others_jobs": Action.APPROVE,      # POST /api/lighting/products/{id}/cancel
    "administer": Action.ADMIN,                # users, tokens of others, XTCE
    "read_audit": Action.AUDIT,                # GET /api/audit
}  # fmt: skip


@router.get("/me")
async def me(ops: Ops, user: CurrentUser) -> dict[str, Any]:
    """The caller's name, partner and roles, what its roles grant (``may``), and the APIDs
    it may command (``command_apids``; null: every one)."""
    who = ops.policy.user(user)
    every = [a.apid for a in ops.mdb.apids]
    commandable = [apid for apid in every if ops.policy.can(user, Action.COMMAND, apid=apid)]
    return {
        "user": who.name, "partner": who.partner, "roles": list(who.roles),
        "actions": sorted(a.value for a in Action if ops.policy.can(user, a)),
        "may": {k: ops.policy.can(user, action) for k, action in CAPABILITIES.items()},
        "command_apids": None if len(commandable) == len(every) else commandable,
    }  # fmt: skip
