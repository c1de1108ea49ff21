"""Kernels: the SPK ephemeris, the Moon's binary PCK and frame kernel, as plain arrays.

By default the DE421 SPK shipped by ``skyfield-data`` and the Moon PA binary PCK
``moon_pa_de421_1900-2050.bpc`` with the frame kernel ``moon_080317.tf`` shipped by
``lunarsky`` (both on PyPI; nothing is downloaded). Users can load their own set, e.g.
DE440 with ``moon_pa_de440_200625.bpc`` and its frame kernel, through :meth:`Kernels.load`.

Files are read with jplephem's DAF reader; the type-2 Chebyshev records are handed to the
compiled kernels as contiguous arrays ``(n_records, n_components, n_coefficients)``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jplephem.daf import DAF
from jplephem.pck import PCK
from jplephem.spk import SPK

from ilrs.errors import KernelError, OutOfRangeError

ARCSEC_RAD = np.pi / 180.0 / 3600.0

#: NAIF ids used by the sky engine.
SSB, EMB, SUN, MOON, EARTH = 0, 3, 10, 301, 399


@dataclass(frozen=True)
class ChebyshevSegment:
    """A type-2 Chebyshev segment (SPK position or PCK Euler angles) as plain arrays.

    ``coefficients`` has shape ``(n_records, n_components, n_coefficients)`` (lowest
    order first); record ``k`` covers ``init_s + k * interval_s`` to one interval later,
    in TDB seconds past J2000. Positions are km, angles radians.
    """

    center: int
    target: int
    frame: int
    start_s: float
    stop_s: float
    init_s: float
    interval_s: float
    coefficients: np.ndarray

    @classmethod
    def from_daf(
        cls, daf: DAF, start_i: int, end_i: int, n_components: int, **ids
    ) -> ChebyshevSegment:
        init, intlen, rsize, n = daf.read_array(end_i - 3, end_i)
        n_coef = (int(rsize) - 2) // n_components
        raw = daf.map_array(start_i, end_i - 4).reshape(int(n), int(rsize))
        coefficients = np.ascontiguousarray(raw[:, 2:].reshape(int(n), n_components, n_coef))
        return cls(init_s=float(init), interval_s=float(intlen), coefficients=coefficients, **ids)


def parse_text_kernel(text: str) -> dict[str, list]:
    """Variables of a SPICE text kernel (``\\begindata`` blocks): name → list of values.

    Numbers become floats (Fortran ``D`` exponents accepted), quoted strings str;
    ``+=`` appends.

    >>> parse_text_kernel("\\\\begindata\\nA = ( 1 2.5D1 )\\nB = 'X'\\nA += 3\\n")
    {'A': [1.0, 25.0, 3.0], 'B': ['X']}
    """
    data_parts: list[str] = []
    in_data = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("\\begindata"):
            in_data = True
        elif stripped.startswith("\\begintext"):
            in_data = False
        elif in_data:
            data_parts.append(line)
    tokens = re.findall(r"'(?:[^']|'')*'|\+=|=|\(|\)|,|[^\s,()=']+", "\n".join(data_parts))
    variables: dict[str, list] = {}
    i = 0
    while i < len(tokens):
        name, op = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
        if op not in ("=", "+="):
            raise KernelError(f"text kernel: expected '=' after {name!r}")
        i += 2
        values: list = []
        if tokens[i] == "(":
            i += 1
            while tokens[i] != ")":
                if tokens[i] != ",":
                    values.append(_kernel_value(tokens[i]))
                i += 1
            i += 1
        else:
            values.append(_kernel_value(tokens[i]))
            i += 1
        if op == "+=":
            variables.setdefault(name, []).extend(values)
        else:
            variables[name] = values
    return variables


def _kernel_value(token: str):
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    try:
        return float(token.replace("D", "E").replace("d", "e"))
    except ValueError:
        return token


def _axis_rotation(angle_rad: float, axis: int) -> np.ndarray:
    """SPICE's frame rotation ``[angle]_axis`` (rotates the frame, not the vector)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    i, j = {1: (1, 2), 2: (2, 0), 3: (0, 1)}[axis]
    m = np.eye(3)
    m[i, i] = m[j, j] = c
    m[i, j] = s
    m[j, i] = -s
    return m


def frame_chain(variables: dict[str, list], name: str) -> tuple[np.ndarray, int]:
    """Resolve a frame of a frame kernel down to a binary-PCK frame.

    Returns ``(M, pck_class_id)`` where ``M`` rotates vectors from the PCK frame into
    the frame ``name`` and ``pck_class_id`` is the body id of the PCK segments.
    """
    rotation = np.eye(3)
    seen = set()
    while True:
        key = f"FRAME_{name}"
        if key not in variables:
            raise KernelError(f"frame kernel does not define frame {name!r}")
        fid = int(variables[key][0])
        if fid in seen:
            raise KernelError(f"frame kernel: circular definition at {name!r}")
        seen.add(fid)
        frame_class = int(variables[f"FRAME_{fid}_CLASS"][0])
        if frame_class == 2:
            return rotation, int(variables[f"FRAME_{fid}_CLASS_ID"][0])
        if frame_class != 4:
            raise KernelError(
                f"frame {name!r} has class {frame_class}; only TK (4) and PCK (2) chains"
            )

        def tk(field: str, fid=fid, name=name):
            for k in (f"TKFRAME_{fid}_{field}", f"TKFRAME_{name}_{field}"):
                if k in variables:
                    return variables[k]
            return None

        spec = tk("SPEC")[0].upper()
        if spec == "MATRIX":
            # Column-major: the matrix that maps TK-frame vectors into the relative frame.
            to_relative = np.array(tk("MATRIX"), dtype=float).reshape(3, 3).T
            from_relative = to_relative.T
        elif spec == "ANGLES":
            angles = np.array(tk("ANGLES"), dtype=float)
            units = (tk("UNITS") or ["RADIANS"])[0].upper()
            scale = {"ARCSECONDS": ARCSEC_RAD, "DEGREES": np.pi / 180, "RADIANS": 1.0}[units]
            axes = [int(a) for a in tk("AXES")]
            # SPICE frames.req: M = [a1]_ax1 [a2]_ax2 [a3]_ax3 maps TK-frame vectors into
            # the relative frame, like MATRIX (checked against SPICE pxform in the tests).
            to_relative = (
                _axis_rotation(angles[0] * scale, axes[0])
                @ _axis_rotation(angles[1] * scale, axes[1])
                @ _axis_rotation(angles[2] * scale, axes[2])
            )
            from_relative = to_relative.T
        else:
            raise KernelError(f"frame {name!r}: TK spec {spec!r} not supported")
        rotation = rotation @ from_relative
        name = tk("RELATIVE")[0]


def _open_daf(kind, path: Path, what: str):
    """Open a DAF kernel (jplephem ``SPK`` or ``PCK``); the file is closed if it is bad."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (the kernel object owns it on success)
    except OSError as exc:
        raise KernelError(f"cannot read {what} {path}: {exc.strerror}") from exc
    try:
        return kind(DAF(handle))
    except Exception as exc:
        handle.close()
        raise KernelError(f"cannot read {what} {path}: not a valid DAF file ({exc})") from exc


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)  # locates without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise KernelError(f"package {package!r} is not installed; it carries the default kernels")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.exists():
        raise KernelError(f"{path} is missing from the installed {package!r} package")
    return path


def default_kernel_paths() -> dict[str, Path]:
    """Where the default kernels are: DE421 and the Moon PA/ME kernels from PyPI packages."""
    return {
        "spk": _package_file("skyfield_data", "data", "de421.bsp"),
        "pck": _package_file("lunarsky", "data", "pck", "moon_pa_de421_1900-2050.bpc"),
        "fk": _package_file("lunarsky", "data", "fk", "satellites", "moon_080317.tf"),
    }


class Kernels:
    """A loaded kernel set: ephemeris chains from the solar-system barycentre, the Moon's
    principal-axis orientation and the fixed rotation to the mean-Earth/polar-axis frame.
    """

    def __init__(
        self,
        spk_segments: Sequence[ChebyshevSegment],
        moon_pa: ChebyshevSegment,
        me_from_pa: np.ndarray,
        sources: dict[str, list[str]],
    ):
        self.segments = {(s.center, s.target): s for s in spk_segments}
        self.moon_pa = moon_pa
        self.me_from_pa = np.ascontiguousarray(me_from_pa)
        self.sources = sources
        starts = [s.start_s for s in (*self.segments.values(), moon_pa)]
        stops = [s.stop_s for s in (*self.segments.values(), moon_pa)]
        #: TDB seconds past J2000 covered by every kernel (SPK and PCK alike).
        self.start_s = max(starts)
        self.stop_s = min(stops)

    @classmethod
    def load(
        cls,
        spk: str | Path | Sequence[str | Path],
        pck: str | Path,
        fk: str | Path,
        moon_frame: str = "MOON_ME",
    ) -> Kernels:
        """Load SPK file(s), a Moon binary PCK and the frame kernel defining ``moon_frame``."""
        spk_paths = [Path(spk)] if isinstance(spk, str | Path) else [Path(p) for p in spk]
        segments: list[ChebyshevSegment] = []
        for path in spk_paths:
            kernel = _open_daf(SPK, path, "SPK")
            try:
                for seg in kernel.segments:
                    if seg.data_type != 2 or seg.frame != 1:
                        continue
                    segments.append(
                        ChebyshevSegment.from_daf(
                            seg.daf, seg.start_i, seg.end_i, 3,
                            center=seg.center, target=seg.target, frame=seg.frame,
                            start_s=seg.start_second, stop_s=seg.end_second,
                        )
                    )
            finally:
                kernel.close()
        try:
            variables = parse_text_kernel(Path(fk).read_text(errors="replace"))
        except OSError as exc:
            raise KernelError(f"cannot read frame kernel {fk}: {exc}") from exc
        me_from_pa, pck_body = frame_chain(variables, moon_frame)
        pck_kernel = _open_daf(PCK, Path(pck), "binary PCK")
        try:
            candidates = [s for s in pck_kernel.segments if s.body == pck_body and s.data_type == 2]
            if not candidates:
                raise KernelError(f"binary PCK {pck} has no type-2 segment for frame id {pck_body}")
            seg = max(candidates, key=lambda s: s.final_second - s.initial_second)
            moon_pa = ChebyshevSegment.from_daf(
                seg.daf, seg.start_i, seg.end_i, 3,
                center=MOON, target=pck_body, frame=seg.frame,
                start_s=seg.initial_second, stop_s=seg.final_second,
            )
        finally:
            pck_kernel.close()
        kernels = cls(
            segments, moon_pa, me_from_pa,
            {"spk": [str(p) for p in spk_paths], "pck": [str(pck)], "fk": [str(fk)]},
        )
        for body in (SUN, EARTH, MOON):
            kernels.chain(body)  # fail now, not at the first query
        return kernels

    def chain(self, target: int) -> list[ChebyshevSegment]:
        """Segments whose sum is ``target`` relative to the solar-system barycentre."""
        chain: list[ChebyshevSegment] = []
        body = target
        while body != SSB:
            found = [s for (c, t), s in self.segments.items() if t == body]
            if not found:
                raise KernelError(f"the SPK files {self.sources['spk']} do not reach body {body}")
            chain.append(found[0])
            body = found[0].center
        return chain[::-1]

    def check_coverage(self, tdb_s: np.ndarray, margin_s: float = 0.0) -> None:
        """Raise :class:`OutOfRangeError` unless every epoch is covered by all kernels."""
        bad = (tdb_s < self.start_s + margin_s) | (tdb_s > self.stop_s - margin_s)
        if bad.any():
            from ilrs.sky.timescale import tdb_s_to_utc_iso

            first = tdb_s_to_utc_iso(tdb_s[bad][:1], 0)[0]
            span = np.array([self.start_s + margin_s, self.stop_s - margin_s])
            lo, hi = tdb_s_to_utc_iso(span, 0)
            raise OutOfRangeError(
                f"{int(bad.sum())} epoch(s) outside the ephemeris, first {first} UTC", bad, lo, hi
            )


#: Environment variables that replace the default kernels (paths; ``ILRS_SPK`` may list
#: several SPK files separated by ``os.pathsep``), e.g. DE440 with its Moon PA kernel.
KERNEL_ENV = {"spk": "ILRS_SPK", "pck": "ILRS_PCK", "fk": "ILRS_FK"}


def configured_kernel_paths() -> dict[str, list[Path] | Path]:
    """The kernel files to use: the defaults, each replaced by its environment variable.

    >>> sorted(configured_kernel_paths())
    ['fk', 'pck', 'spk']
    """
    paths: dict[str, list[Path] | Path] = dict(default_kernel_paths())
    for key, var in KERNEL_ENV.items():
        value = os.environ.get(var, "").strip()
        if not value:
            continue
        chosen = [Path(v) for v in value.split(os.pathsep) if v]
        for path in chosen:
            if not path.is_file():
                raise KernelError(f"{var}={value!r}: {path} is not a file")
        paths[key] = chosen if key == "spk" else chosen[0]
    return paths


def default_kernels() -> Kernels:
    """The configured kernel set, loaded once per configuration: DE421 + Moon PA DE421 +
    ``moon_080317.tf`` unless ``ILRS_SPK`` / ``ILRS_PCK`` / ``ILRS_FK`` name others."""
    paths = configured_kernel_paths()
    spk = paths["spk"] if isinstance(paths["spk"], list) else [paths["spk"]]
    return _load_cached(tuple(str(p) for p in spk), str(paths["pck"]), str(paths["fk"]))


@functools.lru_cache(maxsize=4)
def _load_cached(spk: tuple[str, ...], pck: str, fk: str) -> Kernels:
    return Kernels.load(list(spk), pck, fk)
