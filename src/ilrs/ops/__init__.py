"""The command center of the ILRS: a Python-native mission control system.

Subpackages by job, importing one way (docs/ops.md shows the tree):
``api`` (the HTTP face and ``ilrs serve``) → ``desks`` (plans, lighting products) →
``service`` (:class:`OpsService`, the command center as one object) → ``commanding``,
``processing`` (telemetry, derived parameters, alarms) and ``spacecraft`` (the twin as a
spacecraft) → ``security`` (permissions, tokens, enrolment, audit chain and anchor) →
``tmtc`` (packets, time codes, mission database and XTCE, codecs, links) and ``archive``
(SQLite or PostgreSQL). The HTTP API is ``ilrs.ops.api.app.create_app`` and the Python
client ``ilrs.ops.client.OpsClient`` (imported from their modules, so that the core does
not pull in the web stack).
"""

from ilrs.ops.archive import Archive, open_archive
from ilrs.ops.commanding.commander import Commander
from ilrs.ops.commanding.entry import CommandState
from ilrs.ops.processing.alarms import AlarmManager, AlarmState
from ilrs.ops.processing.derived import DerivedParameter
from ilrs.ops.processing.processor import Processor
from ilrs.ops.security.audit import AuditLog, verify
from ilrs.ops.security.policy import AccessPolicy, Action, AuthConfig, load_auth
from ilrs.ops.service import OpsService, OpsSettings
from ilrs.ops.tmtc.link import GroundLink, Spacecraft, SpacecraftLink
from ilrs.ops.tmtc.mdb import MissionDatabase
from ilrs.ops.tmtc.mdb_build import load_mdb, mdb_from_elements
from ilrs.ops.tmtc.packets import TcPacket, TmPacket, VerificationStage, verification_report
from ilrs.ops.tmtc.stream import PacketStreamDecoder
from ilrs.ops.tmtc.timecodes import CdsTime
from ilrs.ops.tmtc.xtce import export_xtce, import_xtce

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
