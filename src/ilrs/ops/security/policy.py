"""Partner permissions: users, partners and roles from YAML, and who may do what on which APID.

Roles: ``viewer`` reads its own partner's data; ``partner_operator`` also commands its own
partner's APIDs and acknowledges their alarms; ``flight_director`` reads and commands
everything and gives the second approval of critical / severe commands; ``admin`` does
everything, including revoking tokens, disabling users and reading the audit log — but,
like everyone, gets tokens only for itself (see
:class:`~ilrs.ops.security.tokens.TokenAuthenticator`).

>>> from ilrs.ops.tmtc.mdb_build import mdb_from_elements
>>> db = mdb_from_elements([{"id": "seis", "owner": "pakistan"}, {"id": "power", "owner": "cnsa"}])
>>> config = AuthConfig.model_validate({"partners": [{"id": "cnsa"}, {"id": "pakistan"}],
...     "users": [{"name": "ali", "partner": "pakistan", "roles": ["partner_operator"]}]})
>>> policy = AccessPolicy(config, db)
>>> policy.can("ali", Action.COMMAND, apid=db.apid_of("seis")), policy.can(
...     "ali", Action.COMMAND, apid=db.apid_of("power"))
(True, False)
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ilrs.errors import OpsConfigError, PermissionDeniedError
from ilrs.ops.tmtc.mdb import MissionDatabase

__all__ = [
    "AccessPolicy",
    "Action",
    "AuthConfig",
    "Partner",
    "Role",
    "User",
    "load_auth",
]

Role = Literal["viewer", "partner_operator", "flight_director", "admin"]


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
        self._owner = {a.apid: a.owner for a in mdb.apids}
        self._sender = {e.parameter: c.apid for c in mdb.containers for e in c.entries}

    def add_user(self, user: User) -> None:
        """A user created at run time (``ilrs.ops.security.enrolment``)."""
        self.users[user.name] = user

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
        return self._owner.get(apid, None) == u.partner

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
        owner_apid = self._sender.get(parameter)
        if owner_apid is None:
            return self.can(user, Action.READ) and self.readable_apids(user) is None
        return self.can(user, Action.READ, apid=owner_apid)
