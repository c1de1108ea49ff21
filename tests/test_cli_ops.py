"""``ilrs ops audit verify``: one line, exit 0 when the chain holds, 1 when it is broken."""

from __future__ import annotations

from ilrs.cli import main
from ilrs.ops.archive import open_archive
from ilrs.ops.security.audit import AuditLog


def test_audit_verify_intact_then_tampered(capsys, tmp_path):
    url = str(tmp_path / "archive.db")
    with open_archive(url) as archive:
        log = AuditLog(archive)
        for i in range(3):
            log.record(user="ana", action="command.issue", request={"i": i}, outcome="ok",
                       time_ns=i)
    assert main(["ops", "audit", "verify", "--db", url]) == 0
    assert "audit log intact: 3 records" in capsys.readouterr().out
    with open_archive(url) as archive:  # someone with database rights rewrites record 1
        archive._run("DROP TRIGGER audit_no_update")
        archive._run("UPDATE audit SET outcome = 'denied' WHERE seq = 1")
        archive._commit()
    assert main(["ops", "audit", "verify", "--db", url]) == 1
    assert "intact" not in capsys.readouterr().out
