"""Partner permissions, API tokens and the hash-chained audit log (on both backends)."""

from __future__ import annotations

import pytest

import test_ops_support as support
from ilrs.errors import ArchiveError, OpsConfigError, PermissionDeniedError
from ilrs.ops.archive import AuditRecord, open_archive
from ilrs.ops.security.audit import GENESIS, AuditLog, record_hash, verify
from ilrs.ops.security.policy import AccessPolicy, Action, AuthConfig, load_auth
from ilrs.ops.security.tokens import TokenAuthenticator, hash_token, verify_token
from ilrs.ops.tmtc.mdb_build import mdb_from_elements

DB = mdb_from_elements([
    {"id": "seis", "owner": "pakistan", "kind": "payload",
     "parameters": [{"name": "count", "type": "uint32"}]},
    {"id": "power", "owner": "cnsa", "parameters": [{"name": "bus_v", "type": "float32"}]},
])  # fmt: skip
CONFIG = AuthConfig.model_validate({
    "partners": [{"id": "cnsa"}, {"id": "pakistan"}],
    "users": [
        {"name": "ali", "partner": "pakistan", "roles": ["partner_operator"]},
        {"name": "vera", "partner": "pakistan", "roles": ["viewer"]},
        {"name": "fd", "partner": "cnsa", "roles": ["flight_director"]},
        {"name": "root", "partner": "cnsa", "roles": ["admin"]},
    ],
})  # fmt: skip
SEIS, POWER = DB.apid_of("seis"), DB.apid_of("power")


@pytest.fixture(params=support.BACKENDS)
def archive(request, tmp_path):
    with open_archive(support.archive_url(request.param, tmp_path)) as a:
        yield a


@pytest.mark.parametrize(
    ("user", "action", "apid", "allowed"),
    [
        ("ali", Action.READ, SEIS, True),
        ("ali", Action.READ, POWER, False),
        ("ali", Action.COMMAND, SEIS, True),
        ("ali", Action.COMMAND, POWER, False),
        ("ali", Action.APPROVE, SEIS, False),
        ("vera", Action.READ, SEIS, True),
        ("vera", Action.COMMAND, SEIS, False),
        ("fd", Action.COMMAND, SEIS, True),
        ("fd", Action.APPROVE, POWER, True),
        ("fd", Action.ADMIN, None, False),
        ("root", Action.AUDIT, None, True),
        ("nobody", Action.READ, SEIS, False),
        ("ali", Action.READ, 2000, False),  # an APID nobody owns
    ],
)
def test_role_and_partner_matrix(user, action, apid, allowed):
    assert AccessPolicy(CONFIG, DB).can(user, action, apid=apid) is allowed


def test_readable_apids_and_parameters():
    policy = AccessPolicy(CONFIG, DB)
    assert policy.readable_apids("ali") == {SEIS}
    assert policy.readable_apids("fd") is None
    assert policy.can_read_parameter("vera", "seis.count")
    assert not policy.can_read_parameter("vera", "power.bus_v")
    with pytest.raises(PermissionDeniedError, match=r"ali.*command APID"):
        policy.require("ali", Action.COMMAND, apid=POWER)


def test_config_errors_name_file_and_path(tmp_path):
    path = tmp_path / "users.yaml"
    path.write_text("partners: [{id: esa}]\nusers: [{name: x, partner: esa, roles: [god]}]\n")
    with pytest.raises(OpsConfigError) as info:
        load_auth(path)
    assert info.value.file == str(path) and info.value.path == "users.0.roles.0"
    path.write_text("partners: [{id: esa}]\nusers: [{name: x, partner: nasa, roles: [viewer]}]\n")
    with pytest.raises(OpsConfigError, match="declared partner"):
        load_auth(path)


def test_token_hashes_never_store_the_secret():
    stored = hash_token("s3cret")
    assert "s3cret" not in stored and stored.startswith("scrypt$")
    assert verify_token("s3cret", stored) and not verify_token("s3cres", stored)
    assert not verify_token("s3cret", "md5$x") and not verify_token("s3cret", "garbage")


def test_tokens_issue_authenticate_revoke(archive):
    auth = TokenAuthenticator(archive, AccessPolicy(CONFIG, DB))
    token = auth.issue("ali", now_ns=1)
    assert auth.authenticate(token.secret) == "ali"
    assert auth.authenticate(token.secret) == "ali"  # the cached path
    assert auth.authenticate(token.secret[:-1] + "x") is None
    assert token.secret not in str(archive.token(token.id))
    assert auth.revoke(token.id, now_ns=2)
    assert auth.authenticate(token.secret) is None
    assert TokenAuthenticator(archive, auth.policy).authenticate(token.secret) is None
    with pytest.raises(PermissionDeniedError):
        auth.issue("nobody", now_ns=3)


def test_config_token_hashes_authenticate(archive):
    config = CONFIG.model_copy(update={"users": (*CONFIG.users, CONFIG.users[0].model_copy(
        update={"name": "bot", "token_hashes": (hash_token("bot-token"),)}))})  # fmt: skip
    auth = TokenAuthenticator(archive, AccessPolicy(config, DB))
    assert auth.authenticate("bot-token") == "bot"
    assert auth.authenticate("other") is None


def test_audit_chain_verifies_and_detects_tampering(archive):
    log = AuditLog(archive)
    for i in range(5):
        log.record(user="ali", action="command.issue", request={"i": i}, outcome="ok",
                   time_ns=i)  # fmt: skip
    result = verify(archive)
    assert (result.ok, result.records, result.head) == (True, 5, archive.last_audit().hash)
    with pytest.raises(ArchiveError, match="append-only"), archive._guard("tamper"):
        archive._run("UPDATE audit SET outcome = 'denied' WHERE seq = 2")
    # someone with database rights drops the protection and rewrites record 2
    drop = ("DROP TRIGGER audit_no_update" if archive.backend == "sqlite"
            else "DROP TRIGGER audit_append_only ON audit")  # fmt: skip
    archive._run(drop)
    archive._run("UPDATE audit SET outcome = 'denied' WHERE seq = 2")
    archive._commit()
    bad = verify(archive)
    assert (bad.ok, bad.first_bad, bad.records) == (False, 2, 2)
    assert "content" in bad.problem


def test_audit_detects_a_forged_link_and_a_gap(archive):
    records = []
    prev = GENESIS
    for seq in (0, 1, 3):
        h = record_hash(seq, seq, "u", "a", "{}", "ok", prev)
        records.append(AuditRecord(seq, seq, "u", "a", "{}", "ok", prev, h))
        prev = h
    for r in records:
        archive.append_audit(r)
    bad = verify(archive)
    assert (bad.ok, bad.first_bad) == (False, 2) and "missing" in bad.problem


def test_verify_url_summarises_for_the_cli(tmp_path):
    url = str(tmp_path / "audit.db")
    with open_archive(url) as archive:
        AuditLog(archive).record(user="u", action="a", request={}, outcome="ok", time_ns=0)
    from ilrs.ops.security.audit import verify_url

    result = verify_url(url)
    assert result.ok and result.summary().startswith("audit log intact: 1 records")
