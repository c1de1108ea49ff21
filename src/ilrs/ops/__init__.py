"""The command center of the ILRS: a Python-native mission control system.

CCSDS/PUS packets (``packets``, ``stream``), the mission database (``mdb``, ``xtce``,
``codec``), the archive (``archive``: SQLite or PostgreSQL), processing (``processor``,
``alarms``, ``derived``), commanding with verification (``commanding``), partner
permissions and the audit log (``auth``, ``audit``), the spacecraft link (``link``), all
wired by ``service.OpsService``; the HTTP API is ``ilrs.ops.api.create_app`` and the
Python client ``ilrs.ops.client.OpsClient`` (imported from their modules, so that the
core does not pull in the web stack).
"""

from ilrs.ops.alarms import AlarmManager, AlarmState
from ilrs.ops.archive import Archive, open_archive
from ilrs.ops.audit import AuditLog, verify
from ilrs.ops.auth import AccessPolicy, Action, AuthConfig, load_auth
from ilrs.ops.commanding import Commander, CommandState
from ilrs.ops.derived import DerivedParameter
from ilrs.ops.link import GroundLink, Spacecraft, SpacecraftLink
from ilrs.ops.mdb import MissionDatabase, load_mdb, mdb_from_elements
from ilrs.ops.packets import CdsTime, TcPacket, TmPacket, VerificationStage, verification_report
from ilrs.ops.processor import Processor
from ilrs.ops.service import OpsService, OpsSettings
from ilrs.ops.stream import PacketStreamDecoder
from ilrs.ops.xtce import export_xtce, import_xtce

__all__ = [
    "AccessPolicy",
    "Action",
    "AlarmManager",
    "AlarmState",
    "Archive",
    "AuditLog",
    "AuthConfig",
    "CdsTime",
    "CommandState",
    "Commander",
    "DerivedParameter",
    "GroundLink",
    "MissionDatabase",
    "OpsService",
    "OpsSettings",
    "PacketStreamDecoder",
    "Processor",
    "Spacecraft",
    "SpacecraftLink",
    "TcPacket",
    "TmPacket",
    "VerificationStage",
    "export_xtce",
    "import_xtce",
    "load_auth",
    "load_mdb",
    "mdb_from_elements",
    "open_archive",
    "verification_report",
    "verify",
]
