"""A ready Yamcs instance for the twin (``ilrs yamcs init DIR``): the server and instance
configuration, the processor, and the mission database as XTCE.

The folder holds ``etc/yamcs.yaml`` (HTTP on 127.0.0.1, the instance), ``etc/yamcs.<name>
.yaml`` (archive services, the realtime processor, the data links to the twin, the MDB),
``etc/processor.yaml``, ``etc/extra_streams.sql`` (the CFDP PDU streams of Yamcs'
``CfdpService``, which receives the twin's files into the bucket ``cfdpDown``) and
``mdb/<name>.xml`` (:func:`ilrs.ops.tmtc.xtce.export_xtce`);
Yamcs runs in that folder (relative paths). The links (the twin listens, Yamcs connects):

- ``tcp``: one ``TcpTcTmDataLink`` to the twin's port, packets back to back both ways;
- ``udp``: a ``UdpTcDataLink`` sending each telecommand in a datagram to the twin's port
  and a ``UdpTmDataLink`` on ``tm_port`` where the twin sends one packet per datagram.

Both use ``PusPacketPreprocessor`` (CRC-16-CCITT, PUS-C time at byte 13 as a CUC code
whose epoch is 1970 UTC counting Unix seconds; see :data:`YAMCS_CUC_EPOCH`) and
``PusCommandPostprocessor`` (fills the sequence count, the length and the CRC, and
records the count for the PUS-1 verifiers).

>>> from ilrs.ops.tmtc.mdb_build import mdb_from_elements
>>> import tempfile
>>> db = mdb_from_elements([{"id": "isru", "owner": "cnsa",
...     "parameters": [{"name": "o2_rate_kg_s", "type": "float32"}]}])
>>> root = write_instance(tempfile.mkdtemp(), db, http_port=8090, twin_port=10015)
>>> [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.y*"))]
['etc/processor.yaml', 'etc/yamcs.ilrs.yaml', 'etc/yamcs.yaml']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from ilrs.errors import InputError
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.stream import MAX_PACKET_LEN
from ilrs.ops.tmtc.xtce import export_xtce

__all__ = ["LinkSettings", "write_instance"]

#: Yamcs 5.12's CUC decoder reads a fraction f of 16 bits as (1000·f + 2¹⁶) >> 16 ms, one
#: millisecond late; the epoch set 1 ms before 1970 brings it back to the code's millisecond.
YAMCS_CUC_EPOCH = "1969-12-31T23:59:59.999Z"
_PREPROCESSOR = {
    "packetPreprocessorClassName": "org.yamcs.pus.PusPacketPreprocessor",
    "packetPreprocessorArgs": {"errorDetection": {"type": "CRC-16-CCIIT"},
                               "timeEncoding": {"type": "CUC", "epoch": "CUSTOM",
                                                "epochUTC": YAMCS_CUC_EPOCH,
                                                "timeIncludesLeapSeconds": False}},
}  # fmt: skip
_POSTPROCESSOR = {
    "commandPostprocessorClassName": "org.yamcs.pus.PusCommandPostprocessor",
    "commandPostprocessorArgs": {"errorDetection": {"type": "CRC-16-CCIIT"}},
}
_SERVICES = [
    "org.yamcs.archive.XtceTmRecorder",
    "org.yamcs.archive.ParameterRecorder",
    "org.yamcs.archive.AlarmRecorder",
    "org.yamcs.archive.EventRecorder",
    "org.yamcs.archive.ReplayServer",
    "org.yamcs.archive.CommandHistoryRecorder",
    "org.yamcs.parameterarchive.ParameterArchive",
]
_PROCESSOR = {
    "realtime": {
        "services": [{"class": c} for c in (
            "org.yamcs.StreamTmPacketProvider", "org.yamcs.StreamTcCommandReleaser",
            "org.yamcs.tctm.StreamParameterProvider", "org.yamcs.algorithms.AlgorithmManager",
            "org.yamcs.parameter.LocalParameterManager")],
        "config": {"subscribeAll": True, "generateEvents": True,
                   "alarm": {"parameterCheck": True, "parameterServer": "enabled"}},
    },
    "Archive": {"services": [{"class": "org.yamcs.tctm.ReplayService"},
                             {"class": "org.yamcs.algorithms.AlgorithmManager"}]},
    "ParameterArchive": {"services": [{"class": "org.yamcs.tctm.ReplayService"},
                                      {"class": "org.yamcs.algorithms.AlgorithmManager"}]},
    "ArchiveRetrieval": {"services": [{"class": "org.yamcs.tctm.ReplayService"},
                                      {"class": "org.yamcs.algorithms.AlgorithmManager"}]},
}  # fmt: skip


@dataclass(frozen=True)
class LinkSettings:
    """Where the twin listens and how: ``tcp`` (one connection for TM and TC), ``udp``
    (telecommands to ``twin_port``, telemetry to Yamcs' ``tm_port``) or ``frames`` (as
    ``udp``, in TC frames with COP-1 and TM frames with the CLCW)."""

    twin_host: str = "127.0.0.1"
    twin_port: int = 10015
    transport: Literal["tcp", "udp", "frames"] = "tcp"
    tm_port: int = 10016
    scid: int = 0xAB

    def data_links(self) -> list[dict]:
        common = {"host": self.twin_host, "port": self.twin_port}
        if self.transport == "frames":
            return self._frame_links(common)
        if self.transport == "tcp":
            return [{"name": "twin", "class": "org.yamcs.tctm.TcpTcTmDataLink",
                     "tmStream": "tm_realtime", "tcStream": "tc_realtime", **common,
                     "packetInputStreamClassName": "org.yamcs.tctm.CcsdsPacketInputStream",
                     "packetInputStreamArgs": {"maxPacketLength": MAX_PACKET_LEN},
                     **_PREPROCESSOR,
                     **_POSTPROCESSOR}]  # fmt: skip
        return [{"name": "twin-tm", "class": "org.yamcs.tctm.UdpTmDataLink",
                 "stream": "tm_realtime", "port": self.tm_port, "maxLength": MAX_PACKET_LEN,
                 **_PREPROCESSOR},
                {"name": "twin-tc", "class": "org.yamcs.tctm.UdpTcDataLink",
                 "stream": "tc_realtime", **common, **_POSTPROCESSOR}]  # fmt: skip


    def _frame_links(self, common: dict) -> list[dict]:
        vc = {"ocfPresent": True, "service": "PACKET", "maxPacketLength": MAX_PACKET_LEN,
              "stream": "tm_realtime", **_PREPROCESSOR}  # fmt: skip
        return [
            {"name": "twin-frames-tm", "class": "org.yamcs.tctm.ccsds.UdpTmFrameLink",
             "port": self.tm_port, "frameType": "TM", "spacecraftId": self.scid,
             "frameLength": 1115, "errorDetection": "CRC16", "clcwStream": "clcw",
             "virtualChannels": [{"vcId": 0, **vc}, {"vcId": 7, **vc}]},
            {"name": "twin-frames-tc", "class": "org.yamcs.tctm.ccsds.UdpTcFrameLink",
             **common, "spacecraftId": self.scid, "maxFrameLength": 1024,
             "errorDetection": "CRC16",
             "virtualChannels": [{"vcId": 0, "service": "PACKET", "stream": "tc_realtime",
                                  "useCop1": True, "clcwStream": "clcw",
                                  "initialClcwWait": 60, **_POSTPROCESSOR}]},
        ]  # fmt: skip


#: The twin's CFDP PDUs: PUS TM[128,1] of APID 0x7F0 in (the PDU from byte 20), TC[128,2]
#: out (the PUS TC header before the PDU; the postprocessor fills length, count and CRC).
_CFDP_STREAMS = """\
create stream cfdp_in as select substring(packet, 20) as pdu from tm_realtime \
where extract_short(packet, 0) = 4080
create stream cfdp_out (gentime TIMESTAMP, entityId long, seqNum int, pdu binary)
insert into tc_realtime select gentime, 'cfdp-service' as origin, seqNum, \
'/yamcs/cfdp/upload' as cmdName, unhex('1FF0C00000002F80020000') + pdu as binary from cfdp_out
"""
_CFDP_SERVICE = {"class": "org.yamcs.cfdp.CfdpService", "name": "cfdp0", "args": {
    "inStream": "cfdp_in", "outStream": "cfdp_out", "incomingBucket": "cfdpDown",
    # Yamcs' own PDUs (uploads) fit a 1,024-byte TC frame with the PUS header: 990 + 13 + 7
    "entityIdLength": 2, "sequenceNrLength": 2, "maxPduSize": 990, "immediateNak": True,
    "nakTimeout": 5000, "nakLimit": 10,
    "localEntities": [{"name": "ground", "id": 2}],
    "remoteEntities": [{"name": "twin", "id": 1}]}}  # fmt: skip


def _dump(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_instance(root: str | Path, db: MissionDatabase, *, instance: str = "ilrs",
                   http_port: int = 8090, twin_port: int = 10015,
                   link: LinkSettings | None = None,
                   extra_services: list[dict] | None = None,
                   buckets: list[dict] | None = None) -> Path:  # fmt: skip
    """Write a Yamcs instance for ``db`` into ``root`` (created; existing files replaced);
    ``link`` (default: TCP to ``twin_port``) says where the twin listens. Returns the folder."""
    if not re.fullmatch(r"[A-Za-z][\w-]*", instance):
        raise InputError("Yamcs instance name", instance, "letters, digits, '_' or '-'")
    for what, port in (("HTTP port", http_port), ("twin port", twin_port)):
        if not 0 < port < 65536:
            raise InputError(what, port, "a TCP port in 1 … 65535")
    link = link or LinkSettings(twin_port=twin_port)
    root = Path(root)
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "mdb").mkdir(exist_ok=True)
    server: dict = {
        "services": [{"class": "org.yamcs.http.HttpServer",
                      "args": {"address": "127.0.0.1", "port": http_port}}],
        "instances": [instance],
        "dataDir": "data",
        "secretKey": "ilrs-twin-local",
        "yamcs-web": {"tag": "ILRS twin"},
    }  # fmt: skip
    if buckets:
        server["buckets"] = buckets
    _dump(root / "etc" / "yamcs.yaml", server)
    (root / "etc" / "extra_streams.sql").write_text(_CFDP_STREAMS, encoding="utf-8")
    _dump(root / "etc" / f"yamcs.{instance}.yaml", {
        "services": [{"class": c} for c in _SERVICES]
        + [{"class": "org.yamcs.ProcessorCreatorService",
            "args": {"name": "realtime", "type": "realtime"}}, _CFDP_SERVICE]
        + list(extra_services or []),
        "dataLinks": link.data_links(),
        "mdb": [{"type": "xtce", "spec": f"mdb/{instance}.xml"}],
        "streamConfig": {
            "tm": [{"name": "tm_realtime", "processor": "realtime"}],
            "invalidTm": "invalid_tm_stream",
            "cmdHist": ["cmdhist_realtime", "cmdhist_dump"],
            "event": ["events_realtime", "events_dump"],
            "param": ["pp_realtime", "sys_param", "proc_param"],
            "parameterAlarm": ["alarms_realtime"],
            "eventAlarm": ["event_alarms_realtime"],
            "tc": [{"name": "tc_realtime", "processor": "realtime"}],
            "sqlFile": "etc/extra_streams.sql",
        },
    })  # fmt: skip
    _dump(root / "etc" / "processor.yaml", _PROCESSOR)
    (root / "mdb" / f"{instance}.xml").write_text(export_xtce(db), encoding="utf-8")
    return root
