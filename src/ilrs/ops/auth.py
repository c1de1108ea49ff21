"""Partner permissions: users, partners and roles from YAML, API tokens hashed at rest.

Roles: ``viewer`` reads its own partner's data; ``partner_operator`` also commands its own
partner's APIDs and acknowledges their alarms; ``flight_director`` reads and commands
everything and gives the second approval of critical / severe commands; ``admin`` does
everything, including issuing tokens and reading the audit log.

>>> from ilrs.ops.mdb import mdb_from_elements
>>> db = mdb_from_elements([{"id": "seis", "owner": "pakistan"}, {"id": "power", "owner": "cnsa"}])
>>> config = AuthConfig.model_validate({"partners": [{"id": "cnsa"}, {"id": "pakistan"}],
...     "users": [{"name": "ali", "partner": "pakistan", "roles": ["partner_operator"]}]})
>>> policy = AccessPolicy(config, db)
>>> policy.can("ali", Action.COMMAND, apid=db.apid_of("seis")), policy.can(
...     "ali", Action.COMMAND, apid=db.apid_of("power"))
(True, False)
>>> token = new_token()
>>> verify_token(token.secret, hash_token(token.secret))
True
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ilrs.errors import OpsConfigError, PermissionDeniedError
from ilrs.ops.archive import Archive
from ilrs.ops.mdb import MissionDatabase

__all__ = [
    "AccessPolicy",
    "Action",
    "AuthConfig",
    "NewToken",
    "Partner",
    "TokenAuthenticator",
    "User",
    "hash_token",
    "load_auth",
    "new_token",
    "parse_token",
    "verify_token",
]

Role = Literal["viewer", "partner_operator", "flight_director", "admin"]
#: scrypt cost parameters (RFC 7914): 16 MiB, ~50 ms on one core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "ilrs"


class Action(enum.StrEnum):
    READ = "read"
    COMMAND = "command"
    APPROVE = "approve"
    ALARM = "alarm"  # acknowledge / shelve
    ADMIN = "admin"  # tokens, users
    AUDIT = "audit"


_ROLE_ACTIONS: dict[str, tuple[set[Action], bool]] = {
    # role: (actions, all partners?)
    "viewer": ({Action.READ}, False),
    "partner_operator": ({Action.READ, Action.COMMAND, Action.ALARM}, False),
    "flight_director": ({Action.READ, Action.COMMAND, Action.ALARM, Action.APPROVE}, True),
    "admin": (set(Action), True),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Partner(_Model):
    id: str
    name: str = ""


class User(_Model):
    """A user of one partner; ``token_hashes`` lets a configuration carry tokens."""

    name: str = Field(pattern=r"^[\w.@-]+$")
    partner: str
    roles: tuple[Role, ...] = Field(min_length=1)
    token_hashes: tuple[str, ...] = ()


class AuthConfig(_Model):
    partners: tuple[Partner, ...]
    users: tuple[User, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> AuthConfig:
        partners = {p.id for p in self.partners}
        names: set[str] = set()
        for u in self.users:
            if u.partner not in partners:
                raise ValueError(f"user {u.name}: a declared partner, not {u.partner!r}")
            if u.name in names:
                raise ValueError(f"each user once, {u.name!r} is repeated")
            names.add(u.name)
        return self


def load_auth(path: str | Path) -> AuthConfig:
    """Read users and partners; errors name the file, the path and what was expected."""
    file = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return AuthConfig.model_validate(data)
    except OSError as exc:
        raise OpsConfigError(file, "", None, "a readable file", exc.strerror) from None
    except yaml.YAMLError as exc:
        raise OpsConfigError(file, "", None, "valid YAML", str(exc)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        path_in = ".".join(str(k) for k in err["loc"])
        raise OpsConfigError(file, path_in, None, err["msg"], err.get("input")) from None


class AccessPolicy:
    """Who may do what on which APID, from an ``AuthConfig`` and the mission database."""

    def __init__(self, config: AuthConfig, mdb: MissionDatabase):
        self.config = config
        self.mdb = mdb
        self.users = {u.name: u for u in config.users}

    def user(self, name: str) -> User:
        try:
            return self.users[name]
        except KeyError:
            raise PermissionDeniedError(name, "act", "(unknown user)") from None

    def _grants(self, user: User, action: Action) -> tuple[bool, bool]:
        """(granted at all, for every partner)."""
        granted, everywhere = False, False
        for role in user.roles:
            actions, all_partners = _ROLE_ACTIONS[role]
            if action in actions:
                granted = True
                everywhere |= all_partners
        return granted, everywhere

    def can(self, user: str, action: Action, *, apid: int | None = None) -> bool:
        """May ``user`` do ``action`` (on ``apid``, when it concerns one)?"""
        u = self.users.get(user)
        if u is None:
            return False
        granted, everywhere = self._grants(u, action)
        if not granted:
            return False
        if apid is None or everywhere:
            return True
        try:
            return self.mdb.apid(apid).owner == u.partner
        except KeyError:
            return False

    def require(self, user: str, action: Action, *, apid: int | None = None) -> None:
        if not self.can(user, action, apid=apid):
            target = "anything" if apid is None else f"APID {apid}"
            raise PermissionDeniedError(user, action.value, target)

    def readable_apids(self, user: str) -> set[int] | None:
        """APIDs the user may read; None means all of them."""
        u = self.user(user)
        granted, everywhere = self._grants(u, Action.READ)
        if not granted:
            return set()
        if everywhere:
            return None
        return {a.apid for a in self.mdb.apids if a.owner == u.partner}

    def can_read_parameter(self, user: str, parameter: str) -> bool:
        try:
            owner_apid = next(c.apid for c in self.mdb.containers
                              if any(e.parameter == parameter for e in c.entries))  # fmt: skip
        except StopIteration:
            return self.can(user, Action.READ) and self.readable_apids(user) is None
        return self.can(user, Action.READ, apid=owner_apid)


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


class TokenAuthenticator:
    """Issues, checks and revokes API tokens kept (hashed) in the archive, plus the token
    hashes a configuration gives its users.

    A verified token is remembered by its SHA-256 for the life of the process, so each
    request does not pay scrypt again; revocation drops it from memory at once.
    """

    def __init__(self, archive: Archive, policy: AccessPolicy):
        self.archive = archive
        self.policy = policy
        self._verified: dict[str, tuple[str, str]] = {}  # token id → (sha256, user)
        self._lock = threading.Lock()

    def issue(self, user: str, *, now_ns: int) -> NewToken:
        self.policy.user(user)  # must exist
        token = new_token()
        self.archive.put_token(token.id, user, hash_token(token.secret), now_ns)
        return token

    def revoke(self, token_id: str, *, now_ns: int) -> bool:
        with self._lock:
            self._verified.pop(token_id, None)
        return self.archive.revoke_token(token_id, now_ns)

    def authenticate(self, secret: str) -> str | None:
        """The user a token belongs to, or None (unknown, revoked, wrong, user removed)."""
        quick = hashlib.sha256(secret.encode()).hexdigest()
        token_id = parse_token(secret)
        if token_id is not None:
            with self._lock:
                cached = self._verified.get(token_id)
            if cached is not None and hmac.compare_digest(cached[0], quick):
                return cached[1] if cached[1] in self.policy.users else None
            stored = self.archive.token(token_id)
            if stored is not None and stored[2] is None and verify_token(secret, stored[1]):
                with self._lock:
                    self._verified[token_id] = (quick, stored[0])
                return stored[0] if stored[0] in self.policy.users else None
        for user in self.policy.users.values():
            if any(verify_token(secret, h) for h in user.token_hashes):
                return user.name
        return None
