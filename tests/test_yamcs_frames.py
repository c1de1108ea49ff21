"""Yamcs' frame processing and COP-1 pointed at the twin (``ilrs twin --transport frames``,
and ``ilrs serve --spacecraft-transport frames`` beside our own command center):
TM frames with the CLCW in their OCF to Yamcs' ``UdpTmFrameLink``, TC frames from Yamcs'
``UdpTcFrameLink`` with its FOP-1 through the twin's FARM-1. A real Yamcs 5.12.8 on
127.0.0.1, started once for the module.
"""

from __future__ import annotations

import socket

import numpy as np
import pytest

from ilrs.ops.spacecraft.alone import StandaloneTwin
from ilrs.ops.yamcs.instance import LinkSettings, write_instance
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


@pytest.fixture(scope="module")
def framed(tmp_path_factory):
    java_or_skip()
    folder = tmp_path_factory.mktemp("yamcs-frames")
    tm_port = free_port(socket.SOCK_DGRAM)
    alone = StandaloneTwin(speed=120.0, port=0, transport="frames",
                           tm_to=("127.0.0.1", tm_port), pump_period_s=0.25,
                           uplink_dir=folder / "onboard")  # fmt: skip
    link = LinkSettings(twin_port=alone.address[1], transport="frames", tm_port=tm_port)
    root = write_instance(folder, alone.mdb, http_port=free_port(), link=link)
    with YamcsProcess(root) as yamcs, alone:
        client = yamcs_client.YamcsClient(yamcs.url.removeprefix("http://"))
        yield alone, yamcs, client
        client.close()


def test_yamcs_decodes_the_twins_tm_frames(framed):
    alone, _, client = framed
    processor = client.get_processor("ilrs", "realtime")
    value = wait_for(lambda: processor.get_parameter_value("/ILRS/station_time_utc_s"), 60,
                     "housekeeping through TM frames")
    assert value.eng_value > 2.0e9  # the twin's UTC in 2036
    info = client.get_link("ilrs", "twin-frames-tm").get_info()
    assert info.in_count > 0 and alone.link.frames_out > 0


def _cop1_active(client) -> None:
    tc_link = client.get_link("ilrs", "twin-frames-tc.vc0")  # the VC's link runs FOP-1
    # Yamcs' FOP-1 initiates AD service at start, waiting for the twin's CLCW (60 s)
    status = wait_for(lambda: (s := tc_link.get_cop1_status()).state in ("ACTIVE", "INITIAL")
                      and s, 90, "COP-1 out of initialisation")  # fmt: skip
    if status.state == "INITIAL":  # no CLCW in time: the operator initiates again
        tc_link.initialize_cop1("WITH_CLCW_CHECK", clcw_wait_timeout=30)
    wait_for(lambda: tc_link.get_cop1_status().state == "ACTIVE", 60, "COP-1 active")


def test_a_command_goes_through_yamcs_cop1_and_the_twins_farm(framed):
    alone, _, client = framed
    _cop1_active(client)
    power_off_from_yamcs(client.get_processor("ilrs", "realtime"))
    assert alone.link.farm.accepted >= 1 and alone.link.farm.vr >= 1


def test_a_file_downlinked_with_cfdp_lands_in_yamcs(framed, tmp_path):
    """The twin's CFDP entity (class 2, cfdp-py) sends a file down in TM frames; Yamcs'
    CfdpService receives it into its bucket, its ACK and Finished PDUs come back up as
    telecommands through COP-1 and the twin's FARM-1."""
    alone, _, client = framed
    _cop1_active(client)
    data = np.random.default_rng(19).integers(0, 256, 150_000, dtype=np.uint8).tobytes()
    (tmp_path / "product.bin").write_bytes(data)
    alone.cfdp.put(tmp_path / "product.bin")
    storage = client.get_storage_client()

    def landed():
        return any(o.name == "product.bin" for o in storage.list_objects("cfdpDown").objects)

    wait_for(landed, 120, "the file in Yamcs' cfdpDown bucket")
    assert storage.download_object("cfdpDown", "product.bin") == data
    # the transaction closed on both sides: Finished (no error) received and acknowledged
    wait_for(lambda: alone.cfdp.idle and alone.cfdp.user.finished, 60, "the sender finished")
    finished = alone.cfdp.user.finished[-1].finished_params
    assert finished.condition_code.name == "NO_ERROR"
    assert alone.cfdp.faults.seen == [] and alone.cfdp.user.faults == []


def test_a_file_uploaded_from_yamcs_lands_on_the_twin(framed):
    """Yamcs as the sender: its CfdpService uploads a file (class 2) from a bucket; the PDUs
    go up as telecommands through Yamcs' COP-1 and the twin's FARM-1 to the twin's
    receiving entity, whose EOF-ACK and Finished come down in TM frames; the file lands in
    the twin's onboard store byte-identical and the transfer completes in Yamcs."""
    alone, _, client = framed
    _cop1_active(client)
    data = np.random.default_rng(23).integers(0, 256, 60_000, dtype=np.uint8).tobytes()
    storage = client.get_storage_client()
    storage.create_bucket("cfdpUp")
    storage.upload_object("cfdpUp", "procedure.bin", data)
    service = client.get_file_transfer_client("ilrs").get_service("cfdp0")
    transfer = service.upload("cfdpUp", "procedure.bin", "procedure.bin",
                              options={"reliable": True})  # fmt: skip
    transfer.await_complete(timeout=120)
    assert transfer.is_success(), transfer.error
    receiver = alone.cfdp.receiver
    wait_for(lambda: receiver.landed and not receiver.busy, 60, "the file on board")
    (landed,) = receiver.landed
    assert landed.path == alone.uplink_dir / "procedure.bin"
    assert landed.path.read_bytes() == data
    assert landed.meta["transmission"] == "class 2" and landed.meta["source_entity"] == 2
    assert receiver.faults.seen == [] and receiver.user.faults == []


@pytest.fixture(scope="module")
def served_framed(tmp_path_factory):
    """``ilrs serve --spacecraft-port P --spacecraft-transport frames``: the live twin
    serving our command center and, in frames, a real Yamcs pointed at it."""
    java_or_skip()
    from ilrs.ops.api.serve import LiveStation

    folder = tmp_path_factory.mktemp("yamcs-served-frames")
    tm_port = free_port(socket.SOCK_DGRAM)
    station = LiveStation(speed=120.0, db_url=str(folder / "archive.db"), pump_period_s=0.25,
                          spacecraft_port=0, spacecraft_transport="frames",
                          spacecraft_tm_port=tm_port).start()  # fmt: skip
    try:
        link = LinkSettings(twin_port=station.listener.address[1], transport="frames",
                            tm_port=tm_port)  # fmt: skip
        root = write_instance(folder / "instance", station.mdb, http_port=free_port(),
                              link=link)  # fmt: skip
        with YamcsProcess(root) as yamcs:
            client = yamcs_client.YamcsClient(yamcs.url.removeprefix("http://"))
            yield station, client
            client.close()
    finally:
        station.stop()


def test_yamcs_decodes_a_served_twins_frames_as_our_command_center_does(served_framed):
    """Every parameter, raw and engineering, by generation time, over five simulated
    minutes: Yamcs' values (through TM frames) equal our archive's (through our link)."""
    station, client = served_framed
    n_parameters, samples, mismatches = compare_window(station, client, 300.0)
    print(f"served twin in frames: {n_parameters} parameters, {samples} samples in 5 "
          f"simulated minutes, {mismatches} mismatches")
    assert mismatches == 0 and samples > 0
    assert station.listener.frames_out > 0
    assert client.get_link("ilrs", "twin-frames-tm").get_info().in_count > 0


def test_a_command_from_yamcs_reaches_a_served_twin_through_cop1(served_framed):
    station, client = served_framed
    _cop1_active(client)
    power_off_from_yamcs(client.get_processor("ilrs", "realtime"))
    assert station.listener.farm.accepted >= 1
    wait_for(lambda: station.ops.processor.latest_value(f"{PAYLOAD}.power_w") == 0.0, 60,
             "the payload off in our command center too")
