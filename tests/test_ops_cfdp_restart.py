"""A CFDP class 2 downlink that survives a ground restart: the ground's receiving entity
(:class:`~ilrs.ops.cfdp.receiver.DurableReceiver`) is dropped mid-transfer as a crash or a
power cut leaves it and a new one is built from its folder alone (the journal of the open
transaction), and the file still lands once, byte-identical, in the archive.

The link figures are those of ``test_ops_cfdp.py``: 1.3 s Earth–Moon light time
(384,400 km / c = 1.28 s), 256 kbit/s down, 64 kbit/s up, 5 % frame loss both ways.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from cfdp_support import links
from cfdp_support import science_file as _file
from ilrs.errors import ArchiveError
from ilrs.ops.archive import open_archive
from ilrs.ops.cfdp.downlink import downlink_file
from ilrs.ops.cfdp.journal import Journal
from ilrs.ops.cfdp.receiver import DurableReceiver
from ilrs.ops.tmtc.cfdp import CfdpSettings

OUTAGE = [(60.0, 90.0)]  # a planned outage: the transfer is suspended across it
DOWN = [(200.0, 230.0)]  # the ground is down 30 s, mid-transfer (10 MB takes ~400 s)


def _links(seed: int = 1):
    return links(0.05, OUTAGE, seed)


def _power_cut(receiver: DurableReceiver) -> None:
    """What a power cut may leave: the journal cut back to what was fsync'd."""
    journal = receiver.journal
    assert journal is not None and journal.synced_bytes > 0
    os.truncate(journal.path, journal.synced_bytes)


def test_10_mb_survives_a_ground_restart_mid_transfer_byte_identical(tmp_path):
    path, data = _file(tmp_path, 10_000_000)
    down, up = _links()
    baseline = downlink_file(path, tmp_path / "calm", down=down, up=up, outages=OUTAGE)
    down, up = _links()
    with open_archive(tmp_path / "archive.db") as archive:
        result = downlink_file(path, tmp_path / "ground", down=down, up=up, outages=OUTAGE,
                               ground_down=DOWN, archive=archive, on_ground_down=_power_cut)
        rows = archive.files()
    assert result.condition == "NO_ERROR" and result.faults == ()
    assert result.ground_restarts == 1 and result.landed == 1
    assert (tmp_path / "ground" / "science.bin").read_bytes() == data
    sha = hashlib.sha256(data).hexdigest()
    meta = json.loads((tmp_path / "ground" / "science.bin.cfdp.json").read_text())
    assert meta["sha256"] == sha and meta["size_bytes"] == len(data)
    assert meta["transmission"] == "class 2" and meta["source_file"] == str(path)
    assert [(r.name, r.sha256, r.size_bytes) for r in rows] == [("science.bin", sha, len(data))]
    assert json.loads(rows[0].meta) == meta
    # the new receiver rebuilt the transaction from the journal: ~200 s of 1,097-byte PDUs
    # at 256 kbit/s less the suspension, not a fresh start
    (replayed,) = result.replayed_pdus
    assert replayed > 3_000 and result.frames_lost_to_ground > 500
    # and so the sender re-sent only what the ground lost while down (plus a margin for
    # the NAK round trips), not the first half of the file again
    extra = result.frames_down - baseline.frames_down
    print(f"restart: replayed {replayed} PDUs; {result.frames_lost_to_ground} frames lost to "
          f"the ground while down; {extra} frames more than without the restart "
          f"({baseline.frames_down}); finished at {result.finished_s:.0f} s")
    assert extra < 1.3 * result.frames_lost_to_ground
    # nothing left behind: the journal and the staging folder are empty
    assert not (tmp_path / "ground" / ".cfdp" / "transaction.journal").exists()
    assert list((tmp_path / "ground" / ".cfdp" / "incoming").iterdir()) == []


def test_a_torn_journal_tail_is_cut_and_the_transfer_completes(tmp_path):
    path, data = _file(tmp_path, 2_000_000)

    def crash_mid_write(receiver: DurableReceiver) -> None:
        _power_cut(receiver)
        with open(receiver.journal.path, "ab") as f:  # a record header, half its body
            f.write((1097).to_bytes(4, "big") + b"\x12\x34\x56\x78" + b"\x00" * 500)

    down, up = _links(seed=3)
    result = downlink_file(path, tmp_path / "ground", down=down, up=up, outages=OUTAGE,
                           ground_down=[(40.0, 50.0)], on_ground_down=crash_mid_write)
    assert result.recovered and "cut a torn tail of 508 bytes" in result.recovered[0]
    assert result.condition == "NO_ERROR" and result.faults == ()
    assert (tmp_path / "ground" / "science.bin").read_bytes() == data


def _journal_of(tmp_path, pdus: list[bytes]):
    path = tmp_path / "ground" / ".cfdp" / "transaction.journal"
    with Journal(path) as journal:
        for pdu in pdus:
            journal.append(pdu)
    return path


def test_a_corrupt_journal_record_before_whole_ones_is_refused_and_kept(tmp_path):
    path = _journal_of(tmp_path, [b"a" * 100, b"b" * 100, b"c" * 100])
    raw = bytearray(path.read_bytes())
    raw[8 + 100 + 8 + 50] ^= 0xFF  # a bit flip inside the second record
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match=r"record at byte 108 is corrupt \(CRC mismatch\)"):
        DurableReceiver(tmp_path / "ground", CfdpSettings())
    assert path.read_bytes() == bytes(raw)  # kept as it is for an operator to look at


def test_a_journal_with_only_whole_records_reads_back_in_order(tmp_path):
    pdus = [bytes([k]) * (k + 1) for k in range(50)]
    path = _journal_of(tmp_path, pdus)
    journal = Journal(path)
    assert journal.records() == pdus and journal.recovered == ""
    assert journal.synced_bytes == path.stat().st_size == sum(8 + len(p) for p in pdus)
    journal.close()


def test_a_restart_after_the_file_landed_lands_it_once(tmp_path):
    """The ground goes down after it landed the file and sent its Finished, before the
    sender's ACK arrives (lost): the new receiver replays the journal, lands the same file
    again (the archive keeps one row), sends its Finished again when its ACK timer runs out,
    and the sender, done with the transaction, acknowledges it (CFDP §4.7.2)."""
    path, data = _file(tmp_path, 300_000)
    down, up = _links(seed=7)
    calm = downlink_file(path, tmp_path / "calm", down=down, up=up, outages=OUTAGE)
    down, up = _links(seed=7)  # the same run up to the fall of the ground
    late = [(calm.finished_s - 1.0, calm.finished_s + 10.0)]  # the last ACK is in flight
    with open_archive(tmp_path / "archive.db") as archive:
        result = downlink_file(path, tmp_path / "ground", down=down, up=up, outages=OUTAGE,
                               ground_down=late, archive=archive)
        rows = archive.files()
    assert result.condition == "NO_ERROR" and result.faults == ()
    assert result.ground_restarts == 1 and result.landed == 2  # before and after the fall
    assert result.finished_s > late[0][1]
    assert (tmp_path / "ground" / "science.bin").read_bytes() == data
    assert [(r.name, r.sha256) for r in rows] == [("science.bin", hashlib.sha256(data).hexdigest())]
    assert sorted(p.name for p in (tmp_path / "ground").iterdir()) == [
        ".cfdp", "science.bin", "science.bin.cfdp.json"]
    assert not (tmp_path / "ground" / ".cfdp" / "transaction.journal").exists()
