"""A receiving CFDP entity durable across a restart — the ground's (files downlinked) or
the spacecraft's (files uplinked): a ``cfdp-py`` destination handler whose open
transaction is rebuilt from an on-disk journal.

``cfdp-py`` keeps a transaction's state (metadata, received segments, NAK and timer state)
in memory. :class:`DurableReceiver` writes every inbound PDU of the open transaction to an
append-only journal (:class:`~ilrs.ops.cfdp.journal.Journal`) *before* the handler sees
it, and makes the journal durable before any reply (ACK, NAK, Finished) leaves — so the
sender never learns of a PDU the ground could forget. A new receiver on the same folder
(after a crash, a power cut or an orderly stop) replays the journal into a fresh handler,
discards the replies that replay produces (they were sent before, or are lost with the
crash and will be asked for again by the sender's timers or the receiver's NAKs), and
carries on with the live transfer. A PDU received but not yet made durable when the power
went is simply missing: the receiver NAKs it like one lost on the link.

Files are written into ``<root>/.cfdp/incoming`` under their base name (a sender cannot
write outside it) and *land* when the transaction completes with no error: the metadata
sidecar ``<name>.cfdp.json`` first (written whole and ``fsync``'d), then the archive's
``files`` row (once per transaction and SHA-256), then the file itself (``fsync``'d and
renamed into ``root``), then the journal is removed. Each step can be redone: a restart
between any two lands the file exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfdppy.defs import CfdpState
from cfdppy.exceptions import (
    InvalidDestinationId,
    InvalidPduDirection,
    InvalidPduForDestHandler,
    NoRemoteEntityConfigFound,
    PduIgnoredForDest,
)
from cfdppy.filestore import NativeFilestore
from spacepackets.cfdp import ConditionCode, DeliveryCode, FileStatus, TransmissionMode
from spacepackets.cfdp.pdu.helper import PduFactory

from ilrs.ops.archive.files import FileRecord
from ilrs.ops.cfdp.journal import Journal, fsync_dir
from ilrs.ops.tmtc.cfdp import CfdpSettings, Faults, User, make_dest

__all__ = ["DurableReceiver", "LandedFile"]

_IGNORED = (InvalidDestinationId, InvalidPduDirection, InvalidPduForDestHandler,
            NoRemoteEntityConfigFound, PduIgnoredForDest)  # fmt: skip


@dataclass(frozen=True)
class LandedFile:
    """A file a transaction delivered, as it lies in the receiver's folder."""

    transaction: str
    path: Path
    size_bytes: int
    sha256: str
    meta: dict


class _Staging(NativeFilestore):
    """The handler's file store: every destination name is its base name in ``folder``."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def local(self, file: Path | str) -> Path:
        return self.folder / Path(file).name

    def is_directory(self, path: Path) -> bool:
        return False

    def file_exists(self, path: Path) -> bool:
        return super().file_exists(self.local(path))

    def truncate_file(self, file: Path) -> None:
        super().truncate_file(self.local(file))

    def create_file(self, file: Path):
        return super().create_file(self.local(file))

    def write_data(self, file: Path, data: bytes, offset: int | None) -> None:
        super().write_data(self.local(file), data, offset)

    def delete_file(self, file: Path):
        return super().delete_file(self.local(file))

    def calculate_checksum(self, checksum_type, file_path: Path, size_to_verify: int,
                           segment_len: int = 4096) -> bytes:  # fmt: skip
        return super().calculate_checksum(checksum_type, self.local(file_path),
                                          size_to_verify, segment_len)  # fmt: skip


class DurableReceiver:
    """The receiving CFDP entity on the folder ``root`` (the ground's, or the spacecraft's
    with ``on_spacecraft``); a transaction left open there by a previous receiver is
    replayed from its journal first (:attr:`replayed` PDUs, :attr:`recovered` says what
    journal recovery did). ``archive``: where landed files are recorded (an
    :class:`~ilrs.ops.archive.Archive`, optional)."""

    def __init__(self, root: str | Path, settings: CfdpSettings, *, archive: Any = None,
                 clock_ns: Callable[[], int] = time.time_ns,
                 on_spacecraft: bool = False):  # fmt: skip
        self.root = Path(root)
        self.archive = archive
        self.clock_ns = clock_ns
        self._state = self.root / ".cfdp"
        self._staging = _Staging(self._state / "incoming")
        self.faults = Faults()
        self.user = User()
        self.user.vfs = self._staging
        self.handler = make_dest(settings, self.user, self.faults, on_spacecraft=on_spacecraft)
        self.landed: list[LandedFile] = []
        self._finished_seen = 0
        self._journal: Journal | None = None
        self.replayed = 0
        self.recovered = ""
        path = self._journal_path
        if path.exists():
            journal = Journal(path)
            self.recovered = journal.recovered
            for pdu in journal.records():
                self._step(pdu)  # the replies were sent before the restart (or are lost)
                self.replayed += 1
            self._journal = journal
            self._settle()

    @property
    def _journal_path(self) -> Path:
        return self._state / "transaction.journal"

    @property
    def busy(self) -> bool:
        """Whether a transaction is open."""
        return self.handler.state != CfdpState.IDLE

    def receive(self, pdu: bytes) -> list[bytes]:
        """Take one PDU from the sender; the PDUs to send back."""
        if self._journal is None:
            self._journal = Journal(self._journal_path)
        self._journal.append(pdu)
        replies = self._step(pdu)
        if replies:
            self._journal.sync()  # the cause is durable before its reply leaves
        self._settle()
        return replies

    def poll(self) -> list[bytes]:
        """Run the handler's timers (NAK, check, positive ACK); the PDUs to send."""
        if not self.busy:
            return []
        self.handler.state_machine()
        replies = self._drain()
        if replies and self._journal is not None:
            self._journal.sync()
        self._settle()
        return replies

    def close(self) -> None:
        """An orderly stop: the journal is made durable and left for the next receiver."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def abandon(self) -> None:
        """Drop the receiver as a crash would: the journal's file is closed unsynced (what
        was written survives a process crash; a power cut may cut it back to
        :attr:`~ilrs.ops.cfdp.journal.Journal.synced_bytes`)."""
        if self._journal is not None:
            self._journal.abandon()

    @property
    def journal(self) -> Journal | None:
        """The open transaction's journal (None when none is open)."""
        return self._journal

    def _step(self, pdu: bytes) -> list[bytes]:
        try:
            self.handler.state_machine(PduFactory.from_raw(pdu))
        except _IGNORED as exc:
            self.faults.seen.append(f"ignored PDU: {type(exc).__name__}")
        return self._drain()

    def _drain(self) -> list[bytes]:
        out = []
        while (holder := self.handler.get_next_packet()) is not None:
            out.append(holder.pdu.pack())
        return out

    def _settle(self) -> None:
        """Land what completed; drop the journal once no transaction is open."""
        while self._finished_seen < len(self.user.finished):
            params = self.user.finished[self._finished_seen]
            self._finished_seen += 1
            done = params.finished_params
            if (done.condition_code == ConditionCode.NO_ERROR
                    and done.delivery_code == DeliveryCode.DATA_COMPLETE
                    and done.file_status == FileStatus.FILE_RETAINED and self.user.metadata):
                self._land(params.transaction_id, self.user.metadata[-1])
        if not self.busy and self._journal is not None:
            self._journal.remove()
            self._journal = None

    def _land(self, transaction_id, metadata) -> None:
        tid = f"{transaction_id.source_id.value}-{transaction_id.seq_num.value}"
        staged = self._staging.local(metadata.dest_file_name)
        target = self.root / staged.name
        sidecar = target.with_name(target.name + ".cfdp.json")
        if staged.exists():
            sha, size = _fsync_and_hash(staged)
        else:  # landed before a restart: the rename was the last step
            sha, size = _fsync_and_hash(target)
        meta = {
            "transaction": tid, "source_entity": transaction_id.source_id.value,
            "source_file": metadata.source_file_name, "dest_file": metadata.dest_file_name,
            "size_bytes": size, "sha256": sha, "received_ns": self.clock_ns(),
            "transmission": "class 2" if self.handler.transmission_mode
            != TransmissionMode.UNACKNOWLEDGED else "class 1",
            "condition": "NO_ERROR",
        }  # fmt: skip
        if sidecar.exists():
            old = json.loads(sidecar.read_text(encoding="utf-8"))
            if (old.get("transaction"), old.get("sha256")) == (tid, sha):
                meta = old  # a replay: keep the first landing's record
            else:  # another transaction's file has that name: keep both
                target = self.root / f"{staged.stem}.{tid}{staged.suffix}"
                sidecar = target.with_name(target.name + ".cfdp.json")
        _write_durably(sidecar, json.dumps(meta, indent=1).encode())
        if self.archive is not None:
            self.archive.append_file(FileRecord(tid, meta["received_ns"], target.name,
                                                str(target), size, sha, json.dumps(meta)))
        if staged.exists():
            os.replace(staged, target)
            fsync_dir(self.root)
        self.landed.append(LandedFile(tid, target, size, sha, meta))


def _fsync_and_hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
        os.fsync(f.fileno())
        return digest.hexdigest(), f.tell()


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
