"""Polar products from the HTTP API (``/api/lighting/products``): a job's files equal the
library's products, and the attacks a server must refuse — a viewer, no token, malformed
bodies, a job too big, a square off the DEM, a date off the ephemeris, a file that is not
the job's — refused without a job being queued, each request in the audit log."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import xarray as xr

from ilrs.lighting.products import ProductGrid, polar_products
from ilrs.ops.api.app import create_app
from ilrs.ops.desks.lighting import LightingDesk, ProductJobIn
from ilrs.ops.service import OpsService, OpsSettings
from ilrs.report.lighting import write_product_files
from ilrs.terrain import as_dems
from test_ops_api import CONFIG, DB, T0_NS, USERS, Clock

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # as in test_ops_api
    from fastapi.testclient import TestClient

#: The products test's rim tile (tests/test_lighting_products.py): 7 × 7 points at 240 m on
#: the Shackleton rim and wall, three months at 6 h.
RIM = {"products": ["psr", "sun"], "center_lat_deg": -89.6374, "center_lon_deg": 199.73,
       "size_km": 1.68, "resolution_m": 240.0, "start_utc": "2030-01-01T00:00:00",
       "stop_utc": "2030-04-01T00:00:00", "step_h": 6.0}


@pytest.fixture(scope="module")
def api(lunar_dems, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lighting-api")
    settings = OpsSettings(archive_url=str(tmp / "ops.db"), mdb=DB, auth=CONFIG, link_port=0)
    service = OpsService(settings, clock=Clock())
    desk = LightingDesk(service, lunar_dems[1:], tmp / "lighting", writer=write_product_files)
    tokens = {n: service.tokens.issue(n, now_ns=T0_NS).secret for n, _, _ in USERS}
    with TestClient(create_app(settings, service=service, lighting=desk)) as client:
        yield client, desk, {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}
    desk.stop()


def test_a_job_s_files_are_the_library_s_products(api, lunar_dems):
    client, desk, h = api
    r = client.post("/api/lighting/products", headers=h["ali"], json=RIM)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running") and job["points"] == 49 and job["tiles"] == 1
    assert desk.wait(job["id"], timeout_s=600).state == "done"
    done = client.get(f"/api/lighting/products/{job['id']}", headers=h["vera"]).json()
    assert done["state"] == "done" and done["progress"] == 1.0 and done["user"] == "ali"
    assert {"polar-psr.tif", "polar-psr.nc", "polar-psr.png", "polar-sun.tif", "polar-sun.nc",
            "polar-sun.png"} <= set(done["files"])
    assert done["psr_area"] and done["psr_area"][0]["poleward_of_deg"] == -89.0
    got = client.get(f"/api/lighting/products/{job['id']}/files/polar-sun.nc",
                     headers=h["vera"])
    assert got.status_code == 200 and got.headers["content-type"] == "application/x-netcdf"
    tif = client.get(f"/api/lighting/products/{job['id']}/files/polar-psr.tif",
                     headers=h["vera"])
    assert tif.status_code == 200 and tif.content[:2] in (b"II", b"MM")  # a TIFF
    # the same products straight from the library: equal, pixel by pixel
    grid = ProductGrid.square(as_dems(lunar_dems[1:2])[0], RIM["center_lat_deg"],
                              RIM["center_lon_deg"], RIM["size_km"], RIM["resolution_m"])
    ref = polar_products(lunar_dems[1:], grid, RIM["start_utc"], RIM["stop_utc"], 6 * 3600.0,
                         scheduler="inline", progress=False, bodies=("sun",))
    served = xr.open_dataset(desk.file(job["id"], "polar-sun.nc"), engine="scipy")
    np.testing.assert_array_equal(served.sun_any_pct.values, ref.sun_any_pct.values)
    assert ref.psr.values.sum() >= 1  # the tile holds permanent shadow
    assert [j["id"] for j in client.get("/api/lighting/products", headers=h["vera"]).json()
            ] == [job["id"]]


@pytest.mark.parametrize(("change", "field"), [
    ({"products": ["moon"]}, "products"),
    ({"colour": "red"}, "colour"),
    ({"size_km": -1.0}, "size_km"),
    ({"size_km": 100.0, "center_lat_deg": -90.0}, "size_km/resolution_m"),  # 173,056 points
    ({"center_lat_deg": -60.0}, "center_lat_deg"),                          # off the DEM
    ({"start_utc": "1500-01-01", "stop_utc": "1500-02-01"}, "start_utc"),   # off DE421
    ({"start_utc": "2030-05-01"}, "start_utc"),                             # after the stop
    ({"resolution_m": 100.0}, "resolution_m"),                              # finer than 240 m
    ({"ensemble": 9}, "ensemble"),                                          # clones: ≤ 8
    ({"size_km": 60.0, "step_h": 0.25, "stop_utc": "2038-01-01"}, "point-epochs"),  # work
])
def test_bad_requests_are_refused_naming_the_field(api, change, field):
    client, desk, h = api
    before = len(desk.jobs())
    r = client.post("/api/lighting/products", headers=h["ali"], json=RIM | change)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert len(desk.jobs()) == before


def test_who_may_ask_and_what_is_served(api):
    client, desk, h = api
    before = len(desk.jobs())
    assert client.post("/api/lighting/products", json=RIM).status_code == 401
    assert client.post("/api/lighting/products", headers=h["vera"], json=RIM).status_code == 403
    bad = {"Authorization": "Bearer ilrs_0000000000000000_nope"}
    assert client.post("/api/lighting/products", headers=bad, json=RIM).status_code == 401
    assert len(desk.jobs()) == before
    assert client.get("/api/lighting/products/999", headers=h["vera"]).status_code == 404
    assert client.get("/api/lighting/products").status_code == 401
    for name in ("..%2F..%2Fops.db", "work", "ops.db", "polar-sun.nc.bak"):
        r = client.get(f"/api/lighting/products/1/files/{name}", headers=h["vera"])
        assert r.status_code == 404, name
    assert client.post("/api/lighting/products", headers=h["ali"],
                       json=RIM | {"resolution_m": 100.0}).status_code == 422
    audit = client.get("/api/audit", headers=h["root"], params={"limit": 1000}).json()
    mine = [(r["user"], r["outcome"].split(":")[0]) for r in audit
            if r["action"] == "lighting.products"]
    assert ("vera", "denied") in mine and ("ali", "error") in mine  # refused bodies too


def test_without_dems_the_routes_say_so(tmp_path):
    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           link_port=0)
    service = OpsService(settings, clock=Clock())
    token = service.tokens.issue("ali", now_ns=T0_NS).secret
    with TestClient(create_app(settings, service=service)) as client:
        r = client.post("/api/lighting/products", json=RIM,
                        headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and "--dem" in r.text


def test_ilrs_serve_serves_products_over_its_dems(lunar_dems, tmp_path):
    """``ilrs serve --dem …``'s station: the desk over those DEMs (the PNG writer of the
    CLI), a demo operator's job and its files over real HTTP on 127.0.0.1."""
    import httpx

    from ilrs.ops.api.serve import LiveStation, Server

    station = LiveStation(speed=600.0, db_url=str(tmp_path / "archive.db"),
                          pump_period_s=0.2, dems=tuple(str(p) for p in lunar_dems[1:]),
                          product_writer=write_product_files)
    assert station.lighting is not None
    assert station.lighting.root == tmp_path / "lighting-products"
    with Server(station) as server:
        token = {u.role: u.token for u in station.users}
        head = {"Authorization": f"Bearer {token['flight_director']}"}
        small = RIM | {"products": ["night"], "size_km": 0.72}  # 3 × 3 points
        r = httpx.post(f"{server.url}/api/lighting/products", json=small, headers=head,
                       timeout=30)
        assert r.status_code == 202, r.text
        assert station.lighting.wait(r.json()["id"], timeout_s=600).state == "done"
        got = httpx.get(f"{server.url}/api/lighting/products/{r.json()['id']}/files/"
                        "polar-night.png", headers=head, timeout=30)
        assert got.status_code == 200 and got.content[:4] == b"\x89PNG"


def test_a_failed_job_is_reported_and_the_next_one_runs(api):
    client, desk, h = api
    small = RIM | {"products": ["night"], "size_km": 0.72}

    def broken(ds, products, folder):
        raise OSError("disk full")

    desk.writer, kept = broken, desk.writer
    try:
        first = client.post("/api/lighting/products", headers=h["fd"], json=small).json()
        assert desk.wait(first["id"], timeout_s=600).state == "failed"
    finally:
        desk.writer = kept
    shown = client.get(f"/api/lighting/products/{first['id']}", headers=h["vera"]).json()
    assert shown["state"] == "failed" and "disk full" in shown["error"] and not shown["files"]
    second = client.post("/api/lighting/products", headers=h["fd"], json=small).json()
    assert desk.wait(second["id"], timeout_s=600).state == "done"


def test_cancel_a_queued_and_a_running_job(api):
    """A queued job is cancelled at once and never runs; a running one stops after its
    current tile (4 tiles of 18.6 years here), keeps no files and cannot be cancelled
    again (409). Its submitter or a flight director may cancel; another partner's operator
    and a viewer may not (403), and every attempt is audited."""
    from test_ops_support import wait_for

    client, desk, h = api
    big = RIM | {"products": ["sun"], "size_km": 15.36, "stop_utc": "2038-08-01"}  # 64 × 64
    small = RIM | {"products": ["night"], "size_km": 0.72}
    a = client.post("/api/lighting/products", headers=h["ali"], json=big).json()
    b = client.post("/api/lighting/products", headers=h["ali"], json=small).json()
    assert a["tiles"] == 4
    for who in ("chen", "vera"):
        assert client.delete(f"/api/lighting/products/{a['id']}",
                             headers=h[who]).status_code == 403
    gone = client.delete(f"/api/lighting/products/{b['id']}", headers=h["ali"])
    assert gone.status_code == 200 and gone.json()["state"] == "cancelled"
    wait_for(lambda: desk.job(a["id"]).state == "running", 120.0, "job a running")
    stop = client.delete(f"/api/lighting/products/{a['id']}", headers=h["fd"])
    assert stop.status_code == 200
    ended = desk.wait(a["id"], timeout_s=600)
    assert ended.state == "cancelled" and ended.tiles_done() < 4 and not ended.files
    assert client.delete(f"/api/lighting/products/{a['id']}",
                         headers=h["fd"]).status_code == 409
    assert desk.job(b["id"]).started_s is None
    assert client.delete("/api/lighting/products/999", headers=h["fd"]).status_code == 404
    audit = client.get("/api/audit", headers=h["root"], params={"limit": 1000}).json()
    cancels = [(r["user"], r["outcome"].split(":")[0]) for r in audit
               if r["action"] == "lighting.cancel"]
    assert ("chen", "denied") in cancels and ("vera", "denied") in cancels
    assert ("ali", "ok") in cancels and ("fd", "ok") in cancels


def test_jobs_survive_a_restart_and_an_interrupted_one_resumes(lunar_dems, tmp_path):
    """Each job keeps ``job.json`` in its folder: a new desk on the same folder (the server
    restarted) lists the finished jobs with their files, and a job that was running when
    the server stopped is queued again and completes from the tiles it kept."""
    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           link_port=0)
    service = OpsService(settings, clock=Clock())
    small = ProductJobIn.model_validate(RIM | {"products": ["night"], "size_km": 0.72})
    first = LightingDesk(service, lunar_dems[1:], tmp_path / "jobs")
    done = first.submit(user="ali", body=small)
    assert first.wait(done.id, timeout_s=600).state == "done"
    first.stop()
    # as if the server died while a second job ran: its record says "running"
    crashed = dataclasses.replace(done, id=done.id + 1, folder=tmp_path / "jobs" / "job-2",
                                  state="running", files=[], finished_s=None)
    crashed.save()
    again = LightingDesk(service, lunar_dems[1:], tmp_path / "jobs")
    try:
        assert [j.id for j in again.jobs()] == [1, 2]
        kept = again.job(1)
        assert kept.state == "done" and again.file(1, "polar-night.nc").is_file()
        assert again.wait(2, timeout_s=600).state == "done"
        assert again.submit(user="ali", body=small).id == 3  # ids go on
    finally:
        again.stop()


def test_an_ensemble_job_gives_sigma_and_a_local_cluster_the_same_maps(lunar_dems, tmp_path):
    """``ensemble`` clones add each product's per-pixel σ, equal to
    :func:`product_ensemble`'s; a desk whose tiles run on a local Dask cluster of worker
    processes (``ilrs serve --scheduler local``) gives the inline desk's maps."""
    from ilrs.lighting.ensemble import product_ensemble

    settings = OpsSettings(archive_url=str(tmp_path / "ops.db"), mdb=DB, auth=CONFIG,
                           link_port=0)
    service = OpsService(settings, clock=Clock())
    body = RIM | {"products": ["sun"], "size_km": 0.72, "ensemble": 2, "seed": 7}
    inline = LightingDesk(service, lunar_dems[1:], tmp_path / "inline")
    local = LightingDesk(service, lunar_dems[1:], tmp_path / "local", scheduler="local")
    try:
        a = inline.submit(user="ali", body=ProductJobIn.model_validate(body))
        b = local.submit(user="ali", body=ProductJobIn.model_validate(body))
        assert a.tiles == 3 and inline.wait(a.id, 600).state == "done"
        assert local.wait(b.id, 600).state == "done"
    finally:
        inline.stop()
        local.stop()
    ours = xr.open_dataset(inline.file(a.id, "polar-sun.nc"), engine="scipy")
    theirs = xr.open_dataset(local.file(b.id, "polar-sun.nc"), engine="scipy")
    grid = ProductGrid.square(as_dems(lunar_dems[1:2])[0], body["center_lat_deg"],
                              body["center_lon_deg"], body["size_km"], body["resolution_m"])
    ref = product_ensemble(lunar_dems[1:], grid, body["start_utc"], body["stop_utc"],
                           6 * 3600.0, 2, seed=7, work_dir=tmp_path / "ref", tile_px=32,
                           scheduler="inline", progress=False, bodies=("sun",))
    for name in ("sun_any_pct", "sun_any_pct_sigma", "sun_mean_pct_sigma"):
        np.testing.assert_array_equal(ours[name].values, ref[name].values)
        np.testing.assert_array_equal(theirs[name].values, ours[name].values)
    assert np.nanmax(ours.sun_any_pct_sigma.values) > 0  # the clones do disagree somewhere
