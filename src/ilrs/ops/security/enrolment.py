"""Users created at run time, and their first credential through a one-time enrolment
secret.

An admin creates a user (``create_user``) and receives an enrolment secret
``ilrse_<id>_<secret>`` to hand over out of band; the user redeems it once, before it
expires (24 h), for its own API token (``enrol``). Only the scrypt hash of the secret is
stored. The admin who created the enrolment never holds the user's token — but it could
redeem the secret itself, so the admin counts as a controller of the user
(:class:`~ilrs.ops.security.two_person.TwoPersonRule`): neither approves the other's
commands, nor do two users the same admin created; the token also remembers who enrolled
it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pydantic import ValidationError

from ilrs.errors import InputError
from ilrs.ops.archive import Archive
from ilrs.ops.security.policy import AccessPolicy, User
from ilrs.ops.security.tokens import NewToken, TokenAuthenticator, hash_token, verify_token
from ilrs.ops.security.two_person import TwoPersonRule

__all__ = ["ENROLMENT_PREFIX", "Enrolled", "Enrolments"]

ENROLMENT_PREFIX = "ilrse"
#: How long an enrolment secret may be redeemed, s.
ENROLMENT_TTL_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Enrolled:
    """A redeemed enrolment: the user, its new token and the admin who enrolled it."""

    user: str
    token: NewToken
    by: str


def _parse(secret: str) -> str | None:
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != ENROLMENT_PREFIX or len(parts[1]) != 16:
        return None
    return parts[1]


class Enrolments:
    """Run-time users (kept in the archive, added to the policy at start) and their
    enrolment secrets."""

    def __init__(self, archive: Archive, policy: AccessPolicy, tokens: TokenAuthenticator,
                 two_person: TwoPersonRule | None = None):  # fmt: skip
        self.archive, self.policy, self.tokens = archive, policy, tokens
        #: who created which run-time user (filled from the archive, then as users are added)
        self.two_person = two_person if two_person is not None else TwoPersonRule()
        self._dummy = hash_token(secrets.token_urlsafe(32))
        for name, partner, roles, by in archive.added_users():
            policy.add_user(User(name=name, partner=partner, roles=tuple(roles)))
            self.two_person.note_created(name, by=by)

    def create_user(self, *, name: str, partner: str, roles: list[str], by: str,
                    now_ns: int) -> tuple[str, int]:  # fmt: skip
        """Add a user; returns its enrolment secret (shown once) and when it expires."""
        try:
            user = User(name=name, partner=partner, roles=tuple(roles))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(".".join(str(p) for p in err["loc"]) or "user", "",
                             err["msg"]) from None  # fmt: skip
        if name in self.policy.users:
            raise InputError("name", name, "a user name not taken")
        if partner not in {p.id for p in self.policy.config.partners}:
            raise InputError("partner", partner, "a partner of the configuration")
        self.archive.append_user(name, partner, list(user.roles), time_ns=now_ns, by=by)
        self.two_person.note_created(name, by=by)
        self.policy.add_user(user)
        enrolment_id = secrets.token_hex(8)
        secret = f"{ENROLMENT_PREFIX}_{enrolment_id}_{secrets.token_urlsafe(32)}"
        expires_ns = now_ns + int(ENROLMENT_TTL_S * 1e9)
        self.archive.put_enrolment(enrolment_id, name, hash_token(secret), now_ns, by,
                                   expires_ns)  # fmt: skip
        return secret, expires_ns

    def enrol(self, secret: str, *, now_ns: int) -> Enrolled | None:
        """Redeem an enrolment secret for a token (None: unknown, wrong, used, expired);
        every case costs one scrypt."""
        enrolment_id = _parse(secret)
        stored = None if enrolment_id is None else self.archive.enrolment(enrolment_id)
        usable = stored is not None and stored["used_ns"] is None and now_ns < stored[
            "expires_ns"]  # fmt: skip
        if not verify_token(secret, stored["hash"] if usable else self._dummy) or not usable:
            return None
        token = self.tokens.issue(stored["user"], now_ns=now_ns)
        if not self.archive.use_enrolment(enrolment_id, now_ns, token.id):
            self.tokens.revoke(token.id, now_ns=now_ns)  # redeemed twice at once
            return None
        self.tokens.note_enrolled(token.id, stored["by"])
        return Enrolled(stored["user"], token, stored["by"])
