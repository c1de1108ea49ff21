"""Credentials and the audit log over HTTP: tokens (each user gets its own, no one gets
another's), disabling users, reading and verifying the audit chain.

Every credential event — a token issued or revoked, a user disabled or enabled — is in
the audit log with its outcome; revoking a token or disabling a user also ends the live
sessions (WebSockets) it opened, at once.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ilrs.errors import PermissionDeniedError
from ilrs.ops.api.deps import Admin, Auditor, CurrentSession, Limit, Ops, page
from ilrs.ops.security.audit import verify
from ilrs.ops.security.policy import Action
from ilrs.ops.service import ns_to_iso

__all__ = ["router"]

router = APIRouter(prefix="/api")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    partner: str = Field(max_length=100)
    roles: list[str] = Field(min_length=1, max_length=4)


class Enrol(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enrolment: str = Field(max_length=200)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: Whose token: only the caller's own (the field may be left out).
    user: str | None = Field(default=None, max_length=100)


@router.get("/audit")
def audit(ops: Ops, user: Auditor, response: Response,
          after_seq: Annotated[int, Query(ge=-1, lt=2**63)] = -1,
          limit: Limit = 1000) -> list[dict[str, Any]]:  # fmt: skip
    """Audit records after ``after_seq`` (the cursor is the last record's ``seq``)."""
    rows = ops.archive.audit_records(after_seq=after_seq, limit=limit + 1)
    return page(response, rows, limit, lambda r: str(r.seq), lambda r: {
        "seq": r.seq, "time": ns_to_iso(r.time_ns), "user": r.user, "action": r.action,
        "request": json.loads(r.request), "outcome": r.outcome, "hash": r.hash})  # fmt: skip


@router.get("/audit/verify")
def audit_verify(ops: Ops, user: Auditor) -> dict[str, Any]:
    v = verify(ops.archive, anchor=ops.anchor)
    return {"ok": v.ok, "records": v.records, "head": v.head, "first_bad": v.first_bad,
            "problem": v.problem}  # fmt: skip


@router.post("/tokens", status_code=201)
def issue_token(body: TokenCreate, ops: Ops, session: CurrentSession) -> dict[str, str]:
    """A new token for the caller. Nobody — an admin neither — gets a token for another
    user: that would let one person act as two (the two-person rule)."""
    owner = session.user if body.user is None else body.user
    with ops.audited(session.user, "token.issue", {"user": owner}):
        token = ops.tokens.issue(owner, now_ns=ops.clock(), by=session.user)
    return {"id": token.id, "token": token.secret, "user": owner}


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: str, ops: Ops, session: CurrentSession) -> dict[str, Any]:
    """Revoke a token: its owner or an admin; its open WebSockets close at once."""
    with ops.audited(session.user, "token.revoke", {"id": token_id}):
        owner = ops.tokens.owner(token_id)
        if owner != session.user and not ops.policy.can(session.user, Action.ADMIN):
            if owner is None:
                raise HTTPException(404, f"no active token {token_id}")
            raise PermissionDeniedError(session.user, "revoke", f"a token of {owner}")
        revoked = ops.tokens.revoke(token_id, now_ns=ops.clock())
        if not revoked:
            raise HTTPException(404, f"no active token {token_id}")
    return {"id": token_id, "revoked": True}


@router.post("/users", status_code=201)
def create_user(body: UserCreate, ops: Ops, admin: Admin) -> dict[str, Any]:
    """Create a user; the answer holds its one-time enrolment secret (24 h), for the user
    to redeem at ``POST /api/enrol`` — the admin never gets the user's token."""
    with ops.audited(admin, "user.create", body.model_dump()):
        secret, expires_ns = ops.enrolments.create_user(
            name=body.name, partner=body.partner, roles=body.roles, by=admin,
            now_ns=ops.clock())  # fmt: skip
    return {"user": body.name, "enrolment": secret, "expires": ns_to_iso(expires_ns)}


@router.post("/enrol", status_code=201)
def enrol(body: Enrol, ops: Ops) -> dict[str, str]:
    """Redeem an enrolment secret (no token needed) for the user's own first token."""
    enrolled = ops.enrolments.enrol(body.enrolment, now_ns=ops.clock())
    if enrolled is None:
        ops.audit_event("anonymous", "token.enrol", "denied: unknown, used or expired")
        raise HTTPException(401, "a valid, unused enrolment secret")
    ops.audit_event(enrolled.user, "token.enrol", f"ok: enrolled by {enrolled.by}",
                      {"id": enrolled.token.id})  # fmt: skip
    return {"id": enrolled.token.id, "token": enrolled.token.secret, "user": enrolled.user}


def _set_disabled(ops, admin: str, name: str, disabled: bool) -> dict[str, Any]:
    action = "user.disable" if disabled else "user.enable"
    with ops.audited(admin, action, {"user": name}):
        if name not in ops.policy.users:
            raise HTTPException(404, f"no user {name}")
        ops.tokens.set_disabled(name, disabled, now_ns=ops.clock(), by=admin)
    return {"user": name, "disabled": disabled}


@router.post("/users/{name}/disable")
def disable_user(name: str, ops: Ops, admin: Admin) -> dict[str, Any]:
    """Disable a user: every token of it stops working and its live sessions end."""
    return _set_disabled(ops, admin, name, True)


@router.post("/users/{name}/enable")
def enable_user(name: str, ops: Ops, admin: Admin) -> dict[str, Any]:
    return _set_disabled(ops, admin, name, False)
