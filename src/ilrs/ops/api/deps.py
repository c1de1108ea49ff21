"""What every route of the HTTP API shares: the service, the authenticated user (a bearer
token; a cached token costs no thread hop), role guards, bounded query types and cursor
pagination.

Every list route pages the same way: ``?limit=N`` rows at most, and when more remain the
response carries ``X-Next-Cursor``; the next page is ``?cursor=<that value>``. Rows a
user may not see are filtered out before the page is cut.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ilrs.errors import InputError
from ilrs.ops.security.policy import Action
from ilrs.ops.security.tokens import Session
from ilrs.ops.service import OpsService

__all__ = [
    "CURSOR_HEADER",
    "Admin",
    "Auditor",
    "CurrentSession",
    "CurrentUser",
    "Cursor",
    "Limit",
    "Ops",
    "Reader",
    "app_state",
    "page",
    "parse_cursor",
    "require",
]

CURSOR_HEADER = "X-Next-Cursor"
_bearer = HTTPBearer(auto_error=False)
T = TypeVar("T")


async def get_ops(request: Request) -> OpsService:
    """The service (async: a sync dependency would cost a thread hop per request)."""
    return request.app.state.ops


Ops = Annotated[OpsService, Depends(get_ops)]


async def current_session(
    ops: Ops, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Session:
    session = None
    if creds is not None:
        session = ops.tokens.cached_session(creds.credentials)
        if session is None:  # first sight of this token: scrypt, off the event loop
            session = await asyncio.to_thread(ops.tokens.session, creds.credentials)
    if session is None:
        raise HTTPException(401, "a valid bearer token", headers={"WWW-Authenticate": "Bearer"})
    return session


CurrentSession = Annotated[Session, Depends(current_session)]


async def current_user(session: CurrentSession) -> str:
    return session.user


CurrentUser = Annotated[str, Depends(current_user)]


def require(action: Action):
    """A dependency letting through users whose roles grant ``action`` somewhere."""

    async def guard(ops: Ops, user: CurrentUser) -> str:
        ops.policy.require(user, action)
        return user

    return Depends(guard)


def app_state(name: str, missing: str):
    """A dependency giving ``app.state.<name>`` (a desk ``ilrs serve`` runs), or 404 with
    ``missing`` where the app has none."""

    async def get(request: Request):
        value = getattr(request.app.state, name, None)
        if value is None:
            raise HTTPException(404, missing)
        return value

    return get


Limit = Annotated[int, Query(gt=0, le=10_000)]
Cursor = Annotated[str | None, Query(max_length=200)]
Reader = Annotated[str, require(Action.READ)]
Admin = Annotated[str, require(Action.ADMIN)]
Auditor = Annotated[str, require(Action.AUDIT)]


def parse_cursor(cursor: str | None, parts: int) -> tuple[int, ...] | None:
    """``"a:b"`` → ``(a, b)``; a cursor not made by :func:`page` is a 422 naming it."""
    if cursor is None:
        return None
    try:
        values = tuple(int(p) for p in cursor.split(":"))
    except ValueError:
        values = ()
    if len(values) != parts or not all(-(2**63) <= v < 2**63 for v in values):
        raise InputError("cursor", cursor, "the X-Next-Cursor of the previous page")
    return values


def page(response: Response, rows: Sequence[T], limit: int, key: Callable[[T], Any],
         public: Callable[[T], dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    """The first ``limit`` rows as JSON; ``X-Next-Cursor`` (the key of the last one) when
    ``rows`` holds more (ask for ``limit + 1`` to know)."""
    if len(rows) > limit:
        rows = rows[:limit]
        k = key(rows[-1])
        response.headers[CURSOR_HEADER] = ":".join(map(str, k)) if isinstance(k, tuple) else k
    return [public(r) for r in rows]
