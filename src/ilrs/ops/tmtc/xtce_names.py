"""What the XTCE export and import share: the namespace, XTCE names for the database's
dotted names, and the PUS header fields and their bit offsets.

A ``.`` in an XTCE reference means "member of an aggregate" to Yamcs, so the exported
names join the dotted parts with ``_`` (``station.time.utc_s`` → ``station_time_utc_s``)
and keep the dotted name as an alias in the :data:`ALIAS_NAMESPACE` namespace (Yamcs
finds it as ``ilrs/station.time.utc_s``).

>>> xtce_name("station.time.utc_s")
'station_time_utc_s'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ilrs.errors import InputError

__all__ = [
    "ALIAS_NAMESPACE",
    "HEADER_FIELDS",
    "NS",
    "RESERVED",
    "TC_HEADER_BITS",
    "TM_HEADER_BITS",
    "VERIFICATION_FIELDS",
    "check_unique",
    "xtce_name",
]

NS: Final = "http://www.omg.org/spec/XTCE/20180204"
#: The alias namespace holding the mission database's own (dotted) names.
ALIAS_NAMESPACE: Final = "ilrs"
#: Bits of the TM primary + PUS-C secondary header (with a 7-byte time code) before the data.
TM_HEADER_BITS: Final = (6 + 14) * 8
#: Bits of the TC primary + PUS-C secondary header before the application data.
TC_HEADER_BITS: Final = (6 + 5) * 8
#: TM header parameters: XTCE name, bit offset from the packet start, bits.
HEADER_FIELDS: Final = (("ccsds_apid", 5, 11), ("pus_service", 56, 8),
                        ("pus_subservice", 64, 8))  # fmt: skip
#: The request id of a PUS-1 report and the failure code of a failure report, as offsets
#: from the packet start (ECSS-E-ST-70-41C §8.1.2).
VERIFICATION_FIELDS: Final = (("pus1_request_apid", TM_HEADER_BITS + 5, 11),
                              ("pus1_request_seq", TM_HEADER_BITS + 18, 14))  # fmt: skip
FAILURE_CODE: Final = ("pus1_failure_code", TM_HEADER_BITS + 32, 16)
#: Names the export uses for its own header parameters, containers and commands.
RESERVED: Final = frozenset(
    [n for n, _, _ in (*HEADER_FIELDS, *VERIFICATION_FIELDS, FAILURE_CODE)]
    + ["PUS_TM", "PUS_TC", "PUS_VERIFICATION", "ccsds_apid", "pus_service", "pus_subservice",
       "pus_ack_flags", "pus_source_id"]
    + [f"PUS_VERIFICATION_{s}" for s in ("ACCEPTANCE_FAILED", "START_FAILED",
                                         "COMPLETION_FAILED")]
)  # fmt: skip


def xtce_name(name: str) -> str:
    """The XTCE name of a database name: its dotted parts joined with ``_``."""
    return name.replace(".", "_")


def check_unique(kind: str, names: Iterable[str]) -> None:
    """Refuse two database names that would share an XTCE name, or one the export uses."""
    seen: dict[str, str] = {}
    for name in names:
        x = xtce_name(name)
        if x in RESERVED:
            raise InputError(f"{kind} name", name, f"a name whose XTCE form is not {x!r} "
                             "(the export's own header names)")  # fmt: skip
        if x in seen:
            raise InputError(f"{kind} name", name, f"an XTCE name other than {x!r} "
                             f"(taken by {seen[x]!r})")  # fmt: skip
        seen[x] = name
