"""API tokens: issued to their owner only, hashed at rest (scrypt), checked in constant time,
revoked at once; the sessions they open.

>>> token = new_token()
>>> verify_token(token.secret, hash_token(token.secret))
True
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ilrs.errors import PermissionDeniedError
from ilrs.ops.archive import Archive
from ilrs.ops.security.policy import AccessPolicy

__all__ = [
    "NewToken",
    "Session",
    "TokenAuthenticator",
    "hash_token",
    "new_token",
    "parse_token",
    "verify_token",
]

#: scrypt cost parameters (RFC 7914): 16 MiB, ~50 ms on one core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "ilrs"


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly issued token: ``secret`` is shown once, only its hash is stored."""

    id: str
    secret: str


def new_token() -> NewToken:
    """``ilrs_<id>_<secret>``: the id finds the stored hash, 256 random bits authenticate."""
    token_id = secrets.token_hex(8)
    return NewToken(token_id, f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}")


def parse_token(secret: str) -> str | None:
    """The id inside a token, or None when it is not shaped like one of ours."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 16:
        return None
    return parts[1]


def hash_token(secret: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex), the only form in which tokens are stored."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)  # fmt: skip
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_token(secret: str, stored: str) -> bool:
    """Constant-time check of a token against its stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2)  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


@functools.cache
def _dummy_hash() -> str:
    """A hash no token matches: unknown ids and malformed tokens are checked against it, so
    that a wrong secret and an unknown id cost the same scrypt (no timing difference)."""
    return hash_token(secrets.token_urlsafe(32))


@dataclass(frozen=True, slots=True)
class Session:
    """Who a request is: the user and the token that authenticated it (None for a token
    hash given by the configuration)."""

    user: str
    token_id: str | None
    #: The admin whose enrolment secret produced the token (None: issued to its owner).
    enrolled_by: str | None = None


class TokenAuthenticator:
    """Issues, checks and revokes API tokens kept (hashed) in the archive, plus the token
    hashes a configuration gives its users; disables and re-enables users.

    Credential model: a token is issued only to its owner (``issue(user, by=user)``), or
    by whoever runs the server before it serves (``by=None``: the configuration, the demo
    users of ``ilrs serve``) — never by one user for another, so no user (admin included)
    can act as someone else. An admin revokes tokens and disables users; each such event
    goes to the audit log (the API records it) and ends the live sessions it concerns at
    once (``watch``).

    A verified token is remembered by its SHA-256 for the life of the process, so each
    request does not pay scrypt again; revocation drops it from memory at once.
    """

    def __init__(self, archive: Archive, policy: AccessPolicy):
        self.archive = archive
        self.policy = policy
        self._verified: dict[str, tuple[str, str]] = {}  # token id → (sha256, user)
        self._lock = threading.Lock()
        self._disabled = archive.disabled_users()
        self._watchers: list[Callable[[str | None, str | None], None]] = []
        self._enrolled_by = archive.enrolled_tokens()  # token id → the admin who enrolled it

    def note_enrolled(self, token_id: str, by: str) -> None:
        """Remember that ``token_id`` came from an enrolment created by ``by``."""
        with self._lock:
            self._enrolled_by[token_id] = by

    def issue(self, user: str, *, now_ns: int, by: str | None = None) -> NewToken:
        """A new token for ``user``; ``by`` is who asks (None: the server's operator)."""
        self.policy.user(user)  # must exist
        if by is not None and by != user:
            raise PermissionDeniedError(by, "issue a token for", f"{user} (only its owner)")
        if user in self._disabled:
            raise PermissionDeniedError(user, "get a token", "(user disabled)")
        token = new_token()
        self.archive.put_token(token.id, user, hash_token(token.secret), now_ns)
        return token

    def owner(self, token_id: str) -> str | None:
        stored = self.archive.token(token_id)
        return None if stored is None else stored[0]

    def revoke(self, token_id: str, *, now_ns: int) -> bool:
        with self._lock:
            self._verified.pop(token_id, None)
        revoked = self.archive.revoke_token(token_id, now_ns)
        self._notify(token_id, None)
        return revoked

    def set_disabled(self, user: str, disabled: bool, *, now_ns: int, by: str) -> None:
        """Disable (or enable again) a user: its tokens stop working and its live
        sessions end."""
        self.policy.user(user)  # must exist
        self.archive.append_user_state(user, disabled=disabled, time_ns=now_ns, by=by)
        with self._lock:
            (self._disabled.add if disabled else self._disabled.discard)(user)
        if disabled:
            self._notify(None, user)

    def is_disabled(self, user: str) -> bool:
        return user in self._disabled

    def watch(self, callback: Callable[[str | None, str | None], None]) -> Callable[[], None]:
        """Call ``callback(token_id, user)`` when a token is revoked (``user`` None) or a
        user disabled (``token_id`` None); returns the function that stops watching."""
        with self._lock:
            self._watchers.append(callback)

        def unwatch() -> None:
            with self._lock:
                if callback in self._watchers:
                    self._watchers.remove(callback)

        return unwatch

    def _notify(self, token_id: str | None, user: str | None) -> None:
        with self._lock:
            watchers = list(self._watchers)
        for callback in watchers:
            callback(token_id, user)

    def authenticate(self, secret: str) -> str | None:
        """The user a token belongs to, or None (unknown, revoked, wrong, user removed or
        disabled)."""
        session = self.session(secret)
        return None if session is None else session.user

    def cached_session(self, secret: str) -> Session | None:
        """The session of a token verified before (no scrypt, no database), else None."""
        token_id = parse_token(secret)
        if token_id is None:
            return None
        with self._lock:
            cached = self._verified.get(token_id)
        if cached is None:
            return None
        if not hmac.compare_digest(cached[0], hashlib.sha256(secret.encode()).hexdigest()):
            return None
        return self._active(cached[1], token_id)

    def session(self, secret: str) -> Session | None:
        """The :class:`Session` of a token, or None (see ``authenticate``)."""
        quick = hashlib.sha256(secret.encode()).hexdigest()
        token_id = parse_token(secret)
        if token_id is not None:
            with self._lock:
                cached = self._verified.get(token_id)
            if cached is not None and hmac.compare_digest(cached[0], quick):
                return self._active(cached[1], token_id)
            stored = self.archive.token(token_id)
            # an unknown or revoked id pays the same scrypt as a wrong secret
            usable = stored is not None and stored[2] is None
            if verify_token(secret, stored[1] if usable else _dummy_hash()) and usable:
                with self._lock:
                    self._verified[token_id] = (quick, stored[0])
                return self._active(stored[0], token_id)
            return None
        checked = False
        for user in self.policy.users.values():
            for h in user.token_hashes:
                checked = True
                if verify_token(secret, h):
                    return self._active(user.name, None)
        if not checked:
            verify_token(secret, _dummy_hash())
        return None

    def _active(self, user: str, token_id: str | None) -> Session | None:
        if user not in self.policy.users or user in self._disabled:
            return None
        return Session(user, token_id, None if token_id is None else self._enrolled_by.get(
            token_id))  # fmt: skip
