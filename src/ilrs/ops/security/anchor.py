"""The audit anchor: signed checkpoints of the audit chain's head, kept outside the archive.

The hash chain of ``audit.py`` shows that records were changed or removed *inside* the
chain, but whoever can write the database can also delete its last records, or rewrite a
record and recompute every later hash, or append a forged record: the chain still links.
The anchor closes that gap. After each audit record the command center appends a
checkpoint ``{seq, hash, time_ns, prev_mac, mac}`` to a separate append-only file, where
``mac`` is HMAC-SHA256 (RFC 2104) under a key the archive never holds, over the record's
sequence number and hash and the previous checkpoint's ``mac`` (so the checkpoints chain
too). ``verify(archive, anchor=...)`` then fails on any divergence: a checkpoint whose mac
does not check, an anchored record missing (truncation) or different (rewrite), or a
record after the last checkpoint (extension).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> anchor = AuditAnchor(folder / "anchor.jsonl", b"k" * 32)
>>> anchor.append(0, "ab" * 32, time_ns=1).seq
0
>>> [(c.seq, c.hash[:4]) for c in anchor.checkpoints()]
[(0, 'abab')]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from ilrs.errors import InputError

__all__ = ["AnchorError", "AuditAnchor", "Checkpoint", "load_or_create_key"]

#: ``prev_mac`` of the first checkpoint.
_START = "0" * 64


class AnchorError(InputError):
    """The anchor file cannot be trusted: unreadable, or a checkpoint fails its mac."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    time_ns: int
    prev_mac: str
    mac: str


def _mac(key: bytes, seq: int, digest: str, time_ns: int, prev_mac: str) -> str:
    body = json.dumps([seq, digest, time_ns, prev_mac], separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def load_or_create_key(path: str | Path) -> bytes:
    """The anchor key in ``path`` (64 hex digits); a new random one, written with mode
    0600, when the file does not exist."""
    file = Path(path)
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = file.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) < 16:
            raise AnchorError("anchor key", str(file), "a file holding at least 32 hex "
                              "digits (the key the anchor's checkpoints are signed with)"
                              ) from None  # fmt: skip
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    return key


class AuditAnchor:
    """Append and read signed checkpoints in ``path`` (JSON lines), with ``key``.

    Opening an existing file checks it (``AnchorError`` when it does not), unless
    ``check=False`` (a verifier, which reports the problem itself)."""

    def __init__(self, path: str | Path, key: bytes, *, check: bool = True):
        self.path = Path(path)
        self._key = key
        self._lock = threading.Lock()
        self._prev = _START
        if check:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existing = self.checkpoints() if self.path.exists() else []
            self._prev = existing[-1].mac if existing else _START

    def append(self, seq: int, digest: str, *, time_ns: int) -> Checkpoint:
        """Anchor the record ``seq`` whose hash is ``digest``; durable when it returns."""
        with self._lock:
            mac = _mac(self._key, seq, digest, time_ns, self._prev)
            point = Checkpoint(seq, digest, time_ns, self._prev, mac)
            line = json.dumps({"seq": seq, "hash": digest, "time_ns": time_ns,
                               "prev_mac": self._prev, "mac": mac}, separators=(",", ":"))
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
            self._prev = mac
            return point

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, each checked against the key and the previous one; raises
        ``AnchorError`` naming the first line that does not check."""
        out: list[Checkpoint] = []
        prev = _START
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise AnchorError("anchor file", str(self.path), f"a readable file ({exc.strerror})"
                              ) from None  # fmt: skip
        for number, line in enumerate(lines, start=1):
            try:
                d = json.loads(line)
                point = Checkpoint(int(d["seq"]), str(d["hash"]), int(d["time_ns"]),
                                   str(d["prev_mac"]), str(d["mac"]))  # fmt: skip
            except (ValueError, KeyError, TypeError):
                raise AnchorError(f"anchor line {number}", line[:80], "a checkpoint") from None
            good = _mac(self._key, point.seq, point.hash, point.time_ns, point.prev_mac)
            if point.prev_mac != prev or not hmac.compare_digest(good, point.mac):
                raise AnchorError(f"anchor line {number}", line[:80],
                                  "a checkpoint signed with the anchor key, following the "
                                  "previous one")  # fmt: skip
            out.append(point)
            prev = point.mac
        return out
