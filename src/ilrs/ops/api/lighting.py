"""The lighting routes of the HTTP API: polar illumination products on request.

``POST /api/lighting/products`` (operators and above) queues a job over the server's DEMs
(:class:`~ilrs.ops.desks.lighting.ProductJobIn`; 202 with the job, 422 naming a bad
field, 403 for a viewer); ``GET /api/lighting/products`` lists the jobs and
``GET /api/lighting/products/{id}`` shows one (state, tiles done, files, PSR area table);
``GET /api/lighting/products/{id}/files/{name}`` returns one of its files (GeoTIFF,
NetCDF, PNG); ``DELETE /api/lighting/products/{id}`` cancels it (its submitter, a flight
director or an admin). Served where a :class:`~ilrs.ops.desks.lighting.LightingDesk` runs
(``ilrs serve --dem …``); elsewhere the routes answer 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import FileResponse

from ilrs.ops.api.deps import CurrentUser, Reader, app_state
from ilrs.ops.desks.lighting import JobEndedError, LightingDesk, ProductJobIn

__all__ = ["router"]

router = APIRouter(prefix="/api")

JobId = Annotated[int, Path(ge=1, le=2**62)]
MEDIA = {".tif": "image/tiff", ".nc": "application/x-netcdf", ".png": "image/png"}


Desk = Annotated[LightingDesk, Depends(app_state(
    "lighting", "lighting products need DEMs: ilrs serve --dem FILE"))]


def _job(desk: LightingDesk, job_id: int):
    try:
        return desk.job(job_id)
    except KeyError:
        raise HTTPException(404, f"no lighting job {job_id}") from None


@router.post("/lighting/products", status_code=202)
def submit(body: ProductJobIn, desk: Desk, user: CurrentUser) -> dict[str, Any]:
    return desk.submit(user=user, body=body).public()


@router.delete("/lighting/products/{job_id}")
def cancel(job_id: JobId, desk: Desk, user: CurrentUser) -> dict[str, Any]:
    """Cancel a queued job or stop a running one after its current tile (its submitter, or
    a flight director or admin; 409 once it has ended)."""
    _job(desk, job_id)
    try:
        return desk.cancel(user=user, job_id=job_id).public()
    except JobEndedError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/lighting/products")
def jobs(desk: Desk, user: Reader) -> list[dict[str, Any]]:
    return [j.public() for j in desk.jobs()]


@router.get("/lighting/products/{job_id}")
def job(job_id: JobId, desk: Desk, user: Reader) -> dict[str, Any]:
    return _job(desk, job_id).public()


@router.get("/lighting/products/{job_id}/files/{name}")
def file(job_id: JobId, name: Annotated[str, Path(max_length=200)], desk: Desk,
         user: Reader) -> FileResponse:  # fmt: skip
    _job(desk, job_id)
    try:
        path = desk.file(job_id, name)
    except KeyError:
        raise HTTPException(404, f"job {job_id} has no file {name!r}") from None
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"),
                        filename=path.name)
