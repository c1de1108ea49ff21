"""Polar illumination products on request: the jobs behind ``/api/lighting/products``.

An operator asks for products (``ilrs.lighting.products``: Sun, night, Earth, Sun+Earth,
PSR, double shadows) over a square of the server's DEMs and a period; the desk checks the
request (every field named on refusal), queues it, runs one job at a time in a background
thread (tiles inline, each kept in the job's folder as it finishes, so the progress is the
share of tiles done) and keeps the files (GeoTIFF, NetCDF, PNG) and the PSR area table.
Each request is in the audit log. The size of a job is bounded (points, and points ×
epochs), so one request cannot hold the server for hours.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ilrs.errors import IlrsError, InputError
from ilrs.ops.security.policy import Action

__all__ = ["MAX_POINTS", "MAX_POINT_EPOCHS", "JobEndedError", "LightingDesk", "ProductJobIn",
           "tif_and_nc"]

#: Most grid points one job may have (the central 61 km of the 240 m grid: about 40 s).
MAX_POINTS = 65_536
#: Most points × epochs (that square over 18.6 years at 6 h).
MAX_POINT_EPOCHS = 65_536 * 27_200
#: Jobs waiting behind the running one before a request is refused.
MAX_WAITING = 2
#: Tile side (points): the progress advances tile by tile.
TILE_PX = 32
#: Most DEM clones one job may ask for (each costs a whole run: they count in the work).
MAX_ENSEMBLE = 8

Product = Literal["sun", "night", "earth", "sun-earth", "psr", "double-shadow"]


class ProductJobIn(BaseModel):
    """A product request: a square of ``size_km`` centred on a point, ``resolution_m``
    apart, over ``start_utc`` → ``stop_utc`` every ``step_h`` hours; ``ensemble`` DEM
    clones (seed ``seed``) add the per-pixel σ of every product."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: list[Product] = Field(min_length=1, max_length=6)
    center_lat_deg: float = Field(ge=-90.0, le=90.0)
    center_lon_deg: float = Field(ge=-360.0, le=360.0)
    size_km: float = Field(gt=0.0, le=500.0)
    resolution_m: float = Field(gt=0.0, le=10_000.0)
    start_utc: str = Field(max_length=40)
    stop_utc: str = Field(max_length=40)
    step_h: float = Field(default=6.0, ge=0.25, le=24.0 * 30)
    mast_m: float = Field(default=2.0, ge=0.0, le=100.0)
    max_range_km: float = Field(default=300.0, gt=0.0, le=300.0)
    ensemble: int = Field(default=0, ge=0, le=MAX_ENSEMBLE)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


@dataclass
class Job:
    """One request and what became of it."""

    id: int
    user: str
    request: dict[str, Any]
    folder: Path
    tiles: int
    points: int
    epochs: int
    state: str = "queued"            # queued → running → done | failed | cancelled
    error: str | None = None
    files: list[str] = field(default_factory=list)
    psr_area: list[dict[str, Any]] = field(default_factory=list)
    submitted_s: float = field(default_factory=time.time)
    started_s: float | None = None
    finished_s: float | None = None
    ended: threading.Event = field(default_factory=threading.Event)
    cancel: threading.Event = field(default_factory=threading.Event)

    #: What ``job.json`` keeps (the rest is rebuilt).
    SAVED = ("id", "user", "request", "tiles", "points", "epochs", "state", "error", "files",
             "psr_area", "submitted_s", "started_s", "finished_s")

    def save(self) -> None:
        """Write ``job.json`` in the job's folder (atomically)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        part = self.folder / "job.json.part"
        part.write_text(json.dumps({k: getattr(self, k) for k in self.SAVED}))
        part.replace(self.folder / "job.json")

    @classmethod
    def load(cls, folder: Path) -> Job:
        """A job from its ``job.json``; one that was queued or running when the server
        stopped is queued again (it resumes from the tiles it kept)."""
        saved = json.loads((folder / "job.json").read_text())
        job = cls(folder=folder, **{k: saved[k] for k in cls.SAVED})
        if job.state in ("queued", "running"):
            job.state, job.started_s = "queued", None
        else:
            job.ended.set()
        return job

    def tiles_done(self) -> int:
        if self.state == "done":
            return self.tiles
        return sum(1 for _ in self.folder.glob("work/tiles-*/tile-*.npz"))

    def public(self) -> dict[str, Any]:
        iso = lambda s: None if s is None else time.strftime(  # noqa: E731
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
        return {"id": self.id, "user": self.user, "state": self.state, "error": self.error,
                "request": self.request, "points": self.points, "epochs": self.epochs,
                "tiles": self.tiles, "tiles_done": self.tiles_done(),
                "progress": self.tiles_done() / self.tiles if self.tiles else 1.0,
                "submitted": iso(self.submitted_s), "started": iso(self.started_s),
                "finished": iso(self.finished_s), "files": list(self.files),
                "psr_area": list(self.psr_area)}


class JobEndedError(IlrsError):
    """A job that has ended (done, failed, cancelled) was asked to change."""


class _CancelledError(Exception):
    """Raised between tiles of a job whose cancellation was asked for."""


def _stop_if(job: Job) -> None:
    if job.cancel.is_set():
        raise _CancelledError(job.id)


def tif_and_nc(ds, products, folder) -> list[Path]:
    """Each product as ``polar-PRODUCT.tif`` and ``.nc`` (the default writer; ``ilrs
    serve`` passes :func:`ilrs.report.lighting.write_product_files`, which adds PNGs)."""
    from ilrs.lighting.product_files import write_product_tif_nc

    return [p for product in products
            for p in write_product_tif_nc(ds, product, Path(folder) / f"polar-{product}")]


class LightingDesk:
    """Product jobs over ``dems`` (paths, finest first), kept under ``root``; ``ops`` the
    command center (permissions and the audit log); ``writer(ds, products, folder)``
    writes a job's files and returns their paths; ``scheduler`` where the tiles run
    (:func:`ilrs.scale.map_chunks`: ``"inline"`` in this process by default, ``"local"``
    or a Dask scheduler's address)."""

    def __init__(self, ops, dems, root, writer=tif_and_nc, scheduler="inline") -> None:
        from ilrs.terrain import as_dems

        self.ops = ops
        self.writer = writer
        self.scheduler = scheduler
        self.dems = [str(d.path) for d in as_dems(dems)]
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[int, Job] = {}
        for saved in sorted(self.root.glob("job-*/job.json")):
            try:
                job = Job.load(saved.parent)
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a folder that is not a job's (or a torn file): left as it is
            self._jobs[job.id] = job
        self._ids = itertools.count(max(self._jobs, default=0) + 1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stop = False
        self._worker = threading.Thread(target=self._run, name="ilrs-lighting-jobs",
                                        daemon=True)
        self._worker.start()

    # -- requests ---------------------------------------------------------------------------

    def submit(self, *, user: str, body: ProductJobIn) -> Job:
        """Check the request, queue it and audit it; raises InputError naming the field."""
        request = body.model_dump()
        with self.ops.audited(user, "lighting.products", request):
            self.ops.policy.require(user, Action.COMMAND)
            grid, epochs = self._check(body)
            with self._lock:
                waiting = sum(j.state in ("queued", "running") for j in self._jobs.values())
                if waiting > MAX_WAITING:
                    raise InputError("lighting job", f"{waiting} waiting or running",
                                     f"at most {MAX_WAITING + 1}: try again when one ends")
                job_id = next(self._ids)
                ny, nx = grid.shape
                job = Job(job_id, user, request, self.root / f"job-{job_id}",
                          tiles=math.ceil(ny / TILE_PX) * math.ceil(nx / TILE_PX)
                          * (1 + body.ensemble), points=ny * nx, epochs=epochs)
                self._jobs[job_id] = job
                job.save()
                self._wake.notify()
        return job

    def cancel(self, *, user: str, job_id: int) -> Job:
        """Cancel a queued job, or stop a running one after its current tile: its submitter,
        or a flight director or admin. A job that has ended cannot be cancelled."""
        with self.ops.audited(user, "lighting.cancel", {"job": job_id}):
            self.ops.policy.require(user, Action.COMMAND)
            job = self.job(job_id)
            if job.user != user:
                self.ops.policy.require(user, Action.APPROVE)
            with self._lock:
                if job.state not in ("queued", "running"):
                    raise JobEndedError(f"lighting job {job_id} has ended ({job.state})")
                job.cancel.set()
                if job.state == "queued":
                    self._end(job, "cancelled")
        return job

    def job(self, job_id: int) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def jobs(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.id)

    def file(self, job_id: int, name: str) -> Path:
        """A finished job's file by its listed name (nothing else is ever served)."""
        job = self.job(job_id)
        if name not in job.files or not (job.folder / name).is_file():
            raise KeyError(name)  # not the job's, or removed from the disk since
        return job.folder / name

    def _check(self, body: ProductJobIn):
        from ilrs.lighting.products import ProductGrid
        from ilrs.sky import Epochs
        from ilrs.terrain import as_dems

        first = as_dems(self.dems[:1])[0]
        if body.resolution_m < first.pixel_m:
            raise InputError("body.resolution_m", body.resolution_m,
                             f"≥ the DEM's {first.pixel_m:g} m")
        grid = ProductGrid.square(first, body.center_lat_deg, body.center_lon_deg,
                                  body.size_km, body.resolution_m)
        x0, y0, x1, y1 = first.bounds_m
        if not (x0 <= grid.x_m.min() and grid.x_m.max() <= x1
                and y0 <= grid.y_m.min() and grid.y_m.max() <= y1):
            raise InputError("body.center_lat_deg/center_lon_deg/size_km",
                             (body.center_lat_deg, body.center_lon_deg, body.size_km),
                             f"a square inside the DEM {Path(first.path).name}")
        points = grid.shape[0] * grid.shape[1]
        if points > MAX_POINTS:
            raise InputError("body.size_km/resolution_m", f"{points:,} points",
                             f"at most {MAX_POINTS:,} points per job")
        try:
            span = Epochs.from_range(body.start_utc, body.stop_utc, body.step_h * 3600.0)
            self._sky().kernels.check_coverage(span.tdb_s[[0, -1]], margin_s=1000.0)
        except IlrsError as exc:
            raise InputError("body.start_utc/stop_utc", (body.start_utc, body.stop_utc),
                             f"a period the ephemeris covers, start before stop ({exc})"
                             ) from None
        epochs = len(span)
        runs = 1 + body.ensemble
        if points * epochs * runs > MAX_POINT_EPOCHS:
            raise InputError("body", f"{points:,} points × {epochs:,} epochs × {runs} run(s)",
                             f"at most {MAX_POINT_EPOCHS:,} point-epochs per job (a smaller "
                             "square, a coarser resolution, a longer step or fewer clones)")
        return grid, epochs

    @functools.cache  # noqa: B019 (one desk per server: the engine lives as long)
    def _sky(self):
        from ilrs.sky import Sky

        return Sky()

    # -- the worker -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._stop and not any(
                        j.state == "queued" for j in self._jobs.values()):
                    self._wake.wait()
                if self._stop:
                    return
                job = min((j for j in self._jobs.values() if j.state == "queued"),
                          key=lambda j: j.id)
                job.state, job.started_s = "running", time.time()
                job.save()
            try:
                files, psr = self._compute(job)
            except _CancelledError:
                with self._lock:
                    self._end(job, "cancelled")
                continue
            except Exception as exc:  # a job's failure is its own, never the server's
                with self._lock:
                    job.error = f"{type(exc).__name__}: {exc}"
                    self._end(job, "failed")
                continue
            with self._lock:
                job.files, job.psr_area = files, psr
                self._end(job, "done")

    @staticmethod
    def _end(job: Job, state: str) -> None:
        """``job`` has ended in ``state`` (the desk's lock held): saved, waiters woken."""
        job.state, job.finished_s = state, time.time()
        job.save()
        job.ended.set()

    def _compute(self, job: Job) -> tuple[list[str], list[dict[str, Any]]]:
        from ilrs.lighting.product_files import psr_area_table
        from ilrs.lighting.products import ProductGrid, bodies_for, polar_products
        from ilrs.terrain import as_dems

        r = ProductJobIn.model_validate(job.request)
        grid = ProductGrid.square(as_dems(self.dems[:1])[0], r.center_lat_deg,
                                  r.center_lon_deg, r.size_km, r.resolution_m)
        names = list(dict.fromkeys(r.products))
        kwargs = {"mast_m": r.mast_m, "max_range_m": r.max_range_km * 1000.0,
                  "tile_px": TILE_PX, "scheduler": self.scheduler, "progress": False,
                  "double_shadow": "double-shadow" in names, "bodies": bodies_for(names),
                  "on_tile": lambda i, result: _stop_if(job)}
        if r.ensemble:
            from ilrs.lighting.ensemble import product_ensemble

            ds = product_ensemble(self.dems, grid, r.start_utc, r.stop_utc, r.step_h * 3600.0,
                                  r.ensemble, seed=r.seed, work_dir=job.folder / "work",
                                  **kwargs)
        else:
            ds = polar_products(self.dems, grid, r.start_utc, r.stop_utc, r.step_h * 3600.0,
                                work_dir=job.folder / "work", **kwargs)
        written = self.writer(ds, names, job.folder)
        psr = [{k: bool(v) if k == "complete" else float(v) for k, v in row.items()}
               for row in (psr_area_table(ds) if "psr" in names else [])]
        return sorted(p.name for p in written), psr

    def stop(self) -> None:
        """Stop taking jobs (the running one finishes in its thread, a daemon)."""
        with self._lock:
            self._stop = True
            self._wake.notify_all()

    def wait(self, job_id: int, timeout_s: float) -> Job:
        """The job once it has ended (done or failed), or as it is after ``timeout_s``."""
        job = self.job(job_id)
        job.ended.wait(timeout_s)
        return job
