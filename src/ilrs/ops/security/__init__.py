"""Who may do what: partners, users and roles, API tokens, run-time users and their
enrolment, the two-person rule, and the audit log with its external anchor.
"""

from ilrs.ops.security.anchor import AnchorError, AuditAnchor, Checkpoint, load_or_create_key
from ilrs.ops.security.audit import GENESIS, AuditLog, Verification, record_hash, verify, verify_url
from ilrs.ops.security.enrolment import ENROLMENT_PREFIX, Enrolled, Enrolments
from ilrs.ops.security.policy import (
    AccessPolicy,
    Action,
    AuthConfig,
    Partner,
    Role,
    User,
    load_auth,
)
from ilrs.ops.security.tokens import (
    NewToken,
    Session,
    TokenAuthenticator,
    hash_token,
    new_token,
    parse_token,
    verify_token,
)
from ilrs.ops.security.two_person import TwoPersonRule

__all__ = [
    "ENROLMENT_PREFIX",
    "GENESIS",
    "AccessPolicy",
    "Action",
    "AnchorError",
    "AuditAnchor",
    "AuditLog",
    "AuthConfig",
    "Checkpoint",
    "Enrolled",
    "Enrolments",
    "NewToken",
    "Partner",
    "Role",
    "Session",
    "TokenAuthenticator",
    "TwoPersonRule",
    "User",
    "Verification",
    "hash_token",
    "load_auth",
    "load_or_create_key",
    "new_token",
    "parse_token",
    "record_hash",
    "verify",
    "verify_token",
    "verify_url",
]
