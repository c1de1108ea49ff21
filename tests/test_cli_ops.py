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


def _archive_with_anchor(folder, n=4):
    """An archive as ``ilrs serve`` leaves it: the anchor and its key beside the file."""
    from ilrs.ops.security.anchor import AuditAnchor, load_or_create_key

    db = folder / "archive.db"
    anchor = AuditAnchor(folder / "archive.db.anchor.jsonl",
                         load_or_create_key(folder / "archive.db.anchor.key"))
    with open_archive(db) as archive:
        log = AuditLog(archive, anchor=anchor)
        for i in range(n):
            log.record(user="ana", action="command.issue", request={"i": i}, outcome="ok",
                       time_ns=i)
    return db


def test_audit_verify_finds_the_anchor_beside_the_archive_and_catches_truncation(
        capsys, tmp_path):  # fmt: skip
    import sqlite3

    db = _archive_with_anchor(tmp_path)
    assert main(["ops", "audit", "verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "intact: 4 records" in out and "archive.db.anchor.jsonl" in out
    with sqlite3.connect(db) as conn:  # drop the last record: the chain still links
        conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        conn.execute("DELETE FROM audit WHERE seq = 3")
    assert main(["ops", "audit", "verify", "--db", str(db)]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_audit_verify_without_an_anchor_says_only_the_chain_was_checked(capsys, tmp_path):
    db = _archive_with_anchor(tmp_path)
    for suffix in (".anchor.jsonl", ".anchor.key"):
        (tmp_path / f"archive.db{suffix}").unlink()
    assert main(["ops", "audit", "verify", "--db", str(db)]) == 0
    assert "only the hash chain was checked" in capsys.readouterr().out
    assert main(["ops", "audit", "verify", "--db", str(db), "--strict"]) == 1


def test_audit_verify_defaults_to_the_archive_of_ilrs_serve(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["ops", "audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "ilrs" / "serve" / "archive.db") in err and err.count("\n") == 1
    (tmp_path / "ilrs" / "serve").mkdir(parents=True)
    _archive_with_anchor(tmp_path / "ilrs" / "serve")
    assert main(["ops", "audit", "verify"]) == 0
    assert "checked against the anchor" in capsys.readouterr().out
