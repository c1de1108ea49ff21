"""The two-person rule: a critical or severe command is released only when a second,
independent person approves it.

"Independent" is about people, not accounts. An admin who creates a user at run time holds
its one-time enrolment secret, so the admin can control that account — and every account
that account creates in turn. Each account therefore has a set of *controllers*: itself,
and for a run-time user its creator and the creator's controllers, transitively (users of
the configuration file are vouched for by whoever runs the server and control only
themselves). An approval is refused when the approver is the issuer or when the two sets
meet. That closes every path one admin alone could take — a puppet approving the admin's
command, the admin approving a puppet's, two puppets approving each other, puppets of
puppets, and any token such an account issues itself later (the rule binds the user, not
the token).

>>> rule = TwoPersonRule()
>>> rule.note_created("puppet", by="root")
>>> sorted(rule.controllers("puppet"))
['puppet', 'root']
>>> rule.independent("puppet", "root"), rule.independent("puppet", "fd")
(False, True)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ilrs.errors import PermissionDeniedError

__all__ = ["TwoPersonRule"]


class TwoPersonRule:
    """Who controls which account, and the approval check built on it."""

    def __init__(self, created: Iterable[tuple[str, str]] = ()):
        #: run-time user → the admin who created it
        self._creator: dict[str, str] = {}
        self._lock = threading.Lock()
        for user, by in created:
            self.note_created(user, by=by)

    def note_created(self, user: str, *, by: str) -> None:
        """Record that ``by`` created ``user`` at run time (and so holds its enrolment)."""
        with self._lock:
            self._creator[user] = by

    def controllers(self, user: str) -> frozenset[str]:
        """Everyone who may act as ``user``: itself and its creators, transitively."""
        out = {user}
        with self._lock:
            while (user := self._creator.get(user)) is not None and user not in out:
                out.add(user)
        return frozenset(out)

    def independent(self, a: str, b: str) -> bool:
        """True when no one controls both ``a`` and ``b``."""
        return not (self.controllers(a) & self.controllers(b))

    def check_approval(self, *, approver: str, issuer: str) -> None:
        """Raise ``PermissionDeniedError`` naming why ``approver`` may not approve a
        command ``issuer`` issued."""
        if approver == issuer:
            raise PermissionDeniedError(approver, "approve", "their own command (two-person rule)")
        shared = self.controllers(approver) & self.controllers(issuer)
        if shared:
            who = ", ".join(sorted(shared))
            raise PermissionDeniedError(
                approver, "approve", f"a command of {issuer}: {who} controls both accounts "
                "(a user created at run time is controlled by the admin who created it; "
                "two-person rule)")
