"""The twin alone as a spacecraft (``ilrs twin``): no command center of ours, a listening
port for the ground system a team brings (Yamcs: ``ilrs yamcs init``): packets over TCP or
UDP (:class:`~ilrs.ops.spacecraft.listen.ListeningLink`) or transfer frames with COP-1
(:class:`~ilrs.ops.spacecraft.framed.FramedLink`).

The live twin is run to its epoch, then advances ``speed`` simulated seconds per wall
second; every ``pump_period_s`` its telemetry goes out on the
:class:`~ilrs.ops.spacecraft.listen.ListeningLink` (CUC time stamps by default, which
stock Yamcs decodes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from spacepackets.cfdp import ChecksumType

from ilrs.errors import InputError
from ilrs.ops.spacecraft.cfdp_agent import CfdpSpacecraft
from ilrs.ops.spacecraft.framed import FramedLink
from ilrs.ops.spacecraft.listen import ListeningLink
from ilrs.ops.spacecraft.twin import TwinSpacecraft, mdb_for_twin
from ilrs.ops.tmtc.cfdp import CfdpSettings

__all__ = ["DEFAULT_EPOCH_UTC", "StandaloneTwin"]

#: As ``ilrs serve``: after ILRS-5's planned landing, every partner payload on the surface.
DEFAULT_EPOCH_UTC = "2036-01-01T00:00:00"


class StandaloneTwin:
    """The live twin behind a listening link on ``127.0.0.1:port``; ``with`` starts it."""

    def __init__(self, *, scenario: str | Path | None = None,
                 epoch_utc: str = DEFAULT_EPOCH_UTC, speed: float = 60.0, port: int = 10015,
                 transport: Literal["tcp", "udp", "frames"] = "tcp",
                 tm_to: tuple[str, int] | None = None, time_code: str = "cuc",
                 pump_period_s: float = 1.0, cfdp: bool = True,
                 uplink_dir: str | Path | None = None,
                 progress: Callable[[str, float], None] | None = None):  # fmt: skip
        from ilrs.station import LiveTwin

        # the port first: a busy one fails before the campaign run
        if transport == "frames":
            if tm_to is None:
                raise InputError("frames transport", None, "the port TM frames go to (tm_to)")
            self.link = FramedLink(_Pending(), port=port, tm_to=tm_to)
        else:
            self.link = ListeningLink(_Pending(), port=port, transport=transport, tm_to=tm_to)
        report = progress or (lambda stage, fraction: None)
        report("loading the scenario and the sky", 0.0)
        self.live = LiveTwin.from_scenario(scenario)
        stage = f"running the campaign to {epoch_utc}"
        self.live.advance_to_utc(epoch_utc, progress=lambda f: report(stage, f))
        self.mdb = mdb_for_twin(self.live)
        self.speed = speed
        self.time_code = time_code
        self.pump_period_s = pump_period_s
        self.spacecraft: TwinSpacecraft | None = None
        #: the CFDP sending entity (``alone.cfdp.put(path)`` downlinks a file), with cfdp
        self.cfdp: CfdpSpacecraft | None = None
        self._with_cfdp = cfdp
        self.uplink_dir = uplink_dir  # where files uplinked with CFDP land (None: refused)
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._run, name="ilrs-twin-alone", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return self.link.address

    def start(self) -> StandaloneTwin:
        self.spacecraft = TwinSpacecraft(self.live, self.mdb, speed=self.speed,
                                         start_ns=time.time_ns(), time_code=self.time_code)
        if self._with_cfdp:
            self.cfdp = CfdpSpacecraft(self.spacecraft, settings=CfdpSettings(
                checksum=ChecksumType.MODULAR),  # the checksum Yamcs' CfdpService checks
                uplink_dir=self.uplink_dir)
        self.link.spacecraft = self.cfdp or self.spacecraft
        self.link.start()
        self._pump.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.link.pump(time.time_ns())
            self._stop.wait(self.pump_period_s)

    def stop(self) -> None:
        self._stop.set()
        if self._pump.is_alive():
            self._pump.join(timeout=5)
        self.link.stop()

    def __enter__(self) -> StandaloneTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Pending:
    """No spacecraft yet (the port is open before the twin's clock starts)."""

    def on_telecommand(self, tc) -> None:
        """Nothing flies yet: the telecommand is ignored."""

    def telemetry(self, now_ns: int) -> list:
        return []
