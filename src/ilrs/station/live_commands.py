"""Ground commands of the live twin: what each does to the loop's inputs or state.

Each handler takes the live twin, the element and the arguments (already checked against
the command's table in :mod:`ilrs.station.live_catalog`) and returns either the reason of a
rejection (a string) or ``(message, checks)`` where each check is ``(parameter of the
element, operator, value)``, due one step later. Input overrides (payloads, rovers, ISRU)
go through ``LiveTwin.set_overrides``, which drops the inputs of the steps not run yet;
mode holds are state slots of the compiled loop (``S_CMD_SAFE``, ``S_CMD_SHED``).
A planned activity (a payload's ``run``, a rover's ``drive_leg``, the station's
``activity_start``) goes into the live twin's on-board timeline (``LiveTwin.onboard``, the
executor :class:`~ilrs.station.schedule.Schedule`): it runs from the next step whatever
the load's rule says, drawing what the twin's model of the load draws, until the command
that stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ilrs.station import _kernels as k
from ilrs.station import faults as flt

if TYPE_CHECKING:  # pragma: no cover
    from ilrs.station.live_catalog import Element
    from ilrs.station.live_types import LiveTwinView as LiveTwin

__all__ = ["COMMANDS"]


def _payload_on(live: LiveTwin, el: Element, args):
    off = live.overrides.payloads_off
    ran = live.stop_planned("payload", el.index, back_to_rule=True)
    live.set_overrides(payloads_off=off - {el.index})
    return ("switched on, runs by its rule" if el.index in off or ran else "already on",
            [("commanded_on", "==", 1)])


def _payload_off(live: LiveTwin, el: Element, args):
    off = live.overrides.payloads_off
    ran = live.stop_planned("payload", el.index)
    live.set_overrides(payloads_off=off | {el.index})
    return ("already off" if el.index in off and not ran else "switched off",
            [("power_w", "==", 0), ("running", "==", 0), ("commanded_on", "==", 0)])


def _payload_run(live: LiveTwin, el: Element, args):
    live.start_planned("payload", el.index)
    live.set_overrides(payloads_off=live.overrides.payloads_off - {el.index})
    return "running (its rule set aside) until power_off or power_on", [
        ("commanded_on", "==", 1)]


def _rover_leg(live: LiveTwin, el: Element, args):
    rover = live.scenario.rovers[el.index]
    distance = float(args.get("distance_km", 0.0))
    live.start_planned("rover", el.index, distance_km=distance)
    live.set_overrides(rovers_held=live.overrides.rovers_held - {el.index})
    what = f"{distance:g} km" if distance > 0 else "until stop"
    return (f"driving {what} now (duty hours set aside; {rover.id} stops on a fault)",
            [("held", "==", 0)])


def _activity(start: bool):
    def run(live: LiveTwin, el: Element, args):
        slot = int(args.get("slot", 0))
        if not start:
            return ("activity stopped" if live.stop_activity(slot) else
                    f"no activity in slot {slot}"), []
        power = float(args.get("power_w", 0.0))
        rate = float(args.get("data_bit_s", 0.0))
        live.start_activity(slot, power, rate)
        return f"activity in slot {slot}: {power:g} W on the science bus", []
    return run


def _rover_drive(live: LiveTwin, el: Element, args):
    live.stop_planned("rover", el.index, back_to_rule=True)
    live.invalidate_inputs()
    rover = live.scenario.rovers[el.index]
    done = float(live.rover_km[el.index])
    if done >= rover.campaign_km - 1e-9:
        return f"traverse complete ({rover.campaign_km:g} km)"
    distance = float(args.get("distance_km", 0.0))
    ceiling = dict(live.overrides.rover_km_ceiling)
    if distance > 0:
        ceiling[el.index] = done + distance
    else:
        ceiling.pop(el.index, None)
    live.set_overrides(rovers_held=live.overrides.rovers_held - {el.index},
                        rover_km_ceiling=tuple(sorted(ceiling.items())))
    what = f"{distance:g} km more" if distance > 0 else "to the end of the traverse"
    return f"driving {what} (in sunlight, in contact, within duty hours)", [("held", "==", 0)]


def _rover_stop(live: LiveTwin, el: Element, args):
    live.stop_planned("rover", el.index)
    live.set_overrides(rovers_held=live.overrides.rovers_held | {el.index})
    return "stopped and held", [("held", "==", 1), ("driving", "==", 0)]


def _isru(on: bool):
    def run(live: LiveTwin, el: Element, args):
        live.set_overrides(isru_off=not on)
        if not on:
            return "ISRU stopped", [("commanded_on", "==", 0), ("power_w", "==", 0)]
        now = np.array([live.now_tdb_s])
        stuck = any(flt.blocked(live.fault_occurrences, "isru-stuck", p.id, now)[0]
                    for p in live.scenario.isru)
        note = " (a plant is stuck: FDIR retries it)" if stuck else ""
        return "ISRU runs on surplus power" + note, [("commanded_on", "==", 1)]
    return run


def _station(action: str):
    def run(live: LiveTwin, el: Element, args):
        s = live.state
        if action == "safe_mode_enter":
            s[k.S_CMD_SAFE] = 1.0
            return "safe mode held by ground", [("fdir.safe_mode", "==", 1),
                                                ("load.science_w", "==", 0),
                                                ("comms.transmitting", "==", 0)]
        if action == "safe_mode_exit":
            was = s[k.S_SAFE] > 0.5
            s[k.S_CMD_SAFE] = 0.0
            s[k.S_SAFE] = 0.0
            return ("safe mode released (FDIR's too)" if was else "safe mode released",
                    [("ops.safe_hold", "==", 0), ("fdir.safe_mode", "==", 0)])
        if action == "shed_science":
            s[k.S_CMD_SHED] = 1.0
            return "science held by ground", [("ops.science_hold", "==", 1),
                                              ("load.science_w", "==", 0)]
        was = s[k.S_SHED] > 0.5
        s[k.S_CMD_SHED] = 0.0
        s[k.S_SHED] = 0.0
        return ("science restored (FDIR's shed too)" if was else "science restored",
                [("ops.science_hold", "==", 0), ("fdir.science_shed", "==", 0)])
    return run


#: (element role, command) -> handler.
COMMANDS = {
    ("payload", "power_on"): _payload_on,
    ("payload", "power_off"): _payload_off,
    ("payload", "run"): _payload_run,
    ("rover", "drive"): _rover_drive,
    ("rover", "stop"): _rover_stop,
    ("rover", "drive_leg"): _rover_leg,
    ("station", "activity_start"): _activity(True),
    ("station", "activity_stop"): _activity(False),
    ("isru", "start"): _isru(True),
    ("isru", "stop"): _isru(False),
    **{("station", a): _station(a) for a in
       ("safe_mode_enter", "safe_mode_exit", "shed_science", "restore_science")},
}
