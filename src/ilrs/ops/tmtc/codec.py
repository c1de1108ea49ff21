"""Parameter and argument codecs: containers ⇄ numpy arrays, calibration, command arguments.

Decoding is vectorized over packets: the source data of N packets of one container form an
``(N, L)`` uint8 array and each parameter is read for all N at once.

>>> from ilrs.ops.tmtc.mdb_build import mdb_from_elements
>>> db = mdb_from_elements([{"id": "rover", "owner": "esa", "parameters": [
...     {"name": "mode", "type": "uint8", "bit_size": 3},
...     {"name": "heater", "type": "uint8", "bit_size": 1},
...     {"name": "temp_k", "type": "uint16", "calibration": {"coefficients": [0, 0.01]}}]}])
>>> data = encode_container(db, "rover.hk", {"rover.mode": 5, "rover.heater": 1,
...                                          "rover.temp_k": 29315})
>>> data.hex(" ")
'b0 72 83'
>>> raw = decode_container(db, "rover.hk", [data, data])
>>> raw["rover.mode"].tolist(), calibrate(db.parameter("rover.temp_k"), raw["rover.temp_k"])
([5, 5], array([293.15, 293.15]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ilrs.errors import InputError, PacketError
from ilrs.ops._kernels import apply_polynomial, apply_table, extract_bits
from ilrs.ops.tmtc.mdb import (
    SCALAR_BITS,
    Command,
    Container,
    MissionDatabase,
    Parameter,
    Polynomial,
)

__all__ = [
    "ContainerPlan",
    "calibrate",
    "decode_arguments",
    "decode_container",
    "encode_arguments",
    "encode_container",
    "numpy_dtype",
]


def numpy_dtype(type_name: str) -> np.dtype:
    """The big-endian numpy dtype of a scalar type of the mission database."""
    if type_name == "bool":
        return np.dtype("u1")
    kind = {"uint": "u", "int": "i", "float": "f"}[type_name.rstrip("0123456789")]
    return np.dtype(f">{kind}{SCALAR_BITS[type_name] // 8}")


def _as_frames(data: Sequence[bytes] | np.ndarray, size: int, what: str) -> np.ndarray:
    if isinstance(data, np.ndarray):
        frames = data
    else:
        lengths = {len(d) for d in data}
        if lengths and (min(lengths) < size):
            raise PacketError(f"{what} source data", min(lengths), f"at least {size} bytes")
        frames = np.frombuffer(b"".join(d[:size] for d in data), dtype=np.uint8)
        frames = frames.reshape(len(data), size)
    if frames.ndim != 2 or frames.shape[1] < size:
        raise PacketError(f"{what} source data", frames.shape, f"(N, ≥{size}) bytes")
    return frames


def decode_container(
    db: MissionDatabase, container: str | Container, data: Sequence[bytes] | np.ndarray
) -> dict[str, np.ndarray]:
    """Raw values of every parameter of ``container`` in N packets' source data."""
    c = db.container(container) if isinstance(container, str) else container
    size = db.size_bytes(c)
    frames = _as_frames(data, size, c.name)
    out: dict[str, np.ndarray] = {}
    for e in db.layout(c):
        p = db.parameter(e.parameter)
        if p.bit_size is not None:
            out[e.parameter] = extract_bits(frames, bit_offset=e.bit_offset, bit_size=e.bit_size)
            continue
        b0 = e.bit_offset // 8
        block = np.ascontiguousarray(frames[:, b0 : b0 + e.bit_size // 8])
        values = block.view(numpy_dtype(e.type)).reshape(-1)
        out[e.parameter] = values.astype(bool) if e.type == "bool" else values
    return out


def calibrate(parameter: Parameter, raw: np.ndarray) -> np.ndarray:
    """Engineering values (float64) of raw values; the raw values when uncalibrated."""
    cal = parameter.calibration
    if cal is None:
        return np.asarray(raw, dtype=np.float64)
    if isinstance(cal, Polynomial):
        return apply_polynomial(raw, cal.coefficients)
    return apply_table(raw, cal.raw, cal.eng)


def encode_container(
    db: MissionDatabase, container: str | Container, raw_values: Mapping[str, Any]
) -> bytes:
    """Source data of one packet from raw values by parameter name (missing ones are 0)."""
    c = db.container(container) if isinstance(container, str) else container
    buf = bytearray(db.size_bytes(c))
    for e in db.layout(c):
        value = raw_values.get(e.parameter, 0)
        p = db.parameter(e.parameter)
        if p.bit_size is None:
            b0 = e.bit_offset // 8
            buf[b0 : b0 + e.bit_size // 8] = np.array([value], dtype=numpy_dtype(e.type)).tobytes()
            continue
        v = int(value)
        if not 0 <= v < 1 << e.bit_size:
            raise InputError(e.parameter, value, f"0..{(1 << e.bit_size) - 1}")
        first, n = e.bit_offset // 8, (e.bit_offset % 8 + e.bit_size + 7) // 8
        word = int.from_bytes(buf[first : first + n], "big")
        shift = n * 8 - e.bit_offset % 8 - e.bit_size
        word |= v << shift
        buf[first : first + n] = word.to_bytes(n, "big")
    return bytes(buf)


def _check_argument(cmd: Command, name: str, value: Any) -> None:
    arg = next(a for a in cmd.arguments if a.name == name)
    info = np.finfo if arg.type.startswith("float") else np.iinfo
    dtype = numpy_dtype(arg.type)
    lo = arg.min if arg.min is not None else (0 if arg.type == "bool" else info(dtype).min)
    hi = arg.max if arg.max is not None else (1 if arg.type == "bool" else info(dtype).max)
    if not isinstance(value, int | float | bool) or not lo <= value <= hi:
        raise InputError(f"{cmd.name}.{name}", value, f"a number in [{lo}, {hi}]")
    if not arg.type.startswith("float") and value != int(value):
        raise InputError(f"{cmd.name}.{name}", value, f"an integer ({arg.type})")


def encode_arguments(cmd: Command, arguments: Mapping[str, Any]) -> bytes:
    """Application data of a telecommand; every argument is required and range-checked."""
    names = [a.name for a in cmd.arguments]
    extra = set(arguments) - set(names)
    if extra:
        raise InputError(f"{cmd.name} arguments", sorted(extra), f"only {names}")
    out = bytearray()
    for a in cmd.arguments:
        if a.name not in arguments:
            raise InputError(f"{cmd.name}.{a.name}", None, f"a value ({a.type})")
        _check_argument(cmd, a.name, arguments[a.name])
        out += np.array([arguments[a.name]], dtype=numpy_dtype(a.type)).tobytes()
    return bytes(out)


def decode_arguments(cmd: Command, data: bytes) -> dict[str, float | int | bool]:
    """Arguments of a telecommand from its application data (the spacecraft side)."""
    size = sum(SCALAR_BITS[a.type] // 8 for a in cmd.arguments)
    if len(data) != size:
        raise PacketError(f"{cmd.name} application data", len(data), f"{size} bytes")
    out: dict[str, float | int | bool] = {}
    offset = 0
    for a in cmd.arguments:
        dtype = numpy_dtype(a.type)
        value = np.frombuffer(data, dtype=dtype, count=1, offset=offset)[0].item()
        out[a.name] = bool(value) if a.type == "bool" else value
        offset += dtype.itemsize
    return out


class ContainerPlan:
    """Everything needed to turn N packets of one container into an ``(N, P)`` matrix of
    engineering values and limit levels in a few numpy calls (the ingest fast path).

    Whole-byte fields are read through one structured dtype, bit fields one by one;
    polynomial calibrations are applied to all columns at once (Horner over a coefficient
    matrix), tables column by column; limits are compared against bound vectors.
    """

    def __init__(self, db: MissionDatabase, container: str | Container):
        c = db.container(container) if isinstance(container, str) else container
        self.container = c
        self.size = db.size_bytes(c)
        layout = db.layout(c)
        params = [db.parameter(e.parameter) for e in layout]
        self.names = tuple(p.name for p in params)
        self.parameters = tuple(params)
        whole = [(i, e) for i, (e, p) in enumerate(zip(layout, params, strict=True))
                 if p.bit_size is None]  # fmt: skip
        # whole-byte fields by type: their columns and the bytes to gather for them
        self._groups = []
        for type_name in sorted({e.type for _, e in whole}):
            dtype = numpy_dtype(type_name)
            members = [(i, e.bit_offset // 8) for i, e in whole if e.type == type_name]
            starts = np.array([o for _, o in members], dtype=np.intp)
            gather = (starts[:, None] + np.arange(dtype.itemsize)).ravel()
            self._groups.append((np.array([i for i, _ in members], np.intp), gather, dtype))
        self._dtype = np.dtype({
            "names": [f"f{i}" for i, _ in whole],
            "formats": [numpy_dtype(e.type) for _, e in whole],
            "offsets": [e.bit_offset // 8 for _, e in whole],
            "itemsize": self.size,
        })  # fmt: skip
        self._bools = np.array([i for i, p in enumerate(params) if p.type == "bool"], np.intp)
        self._bits = [
            (i, e.bit_offset, e.bit_size)
            for i, (e, p) in enumerate(zip(layout, params, strict=True))
            if p.bit_size is not None
        ]
        degree = max((len(p.calibration.coefficients) for p in params
                      if isinstance(p.calibration, Polynomial)), default=2)  # fmt: skip
        coeffs = np.zeros((len(params), max(degree, 2)))
        coeffs[:, 1] = 1.0  # identity for uncalibrated columns
        self._tables = []
        for i, p in enumerate(params):
            if isinstance(p.calibration, Polynomial):
                coeffs[i] = 0.0
                coeffs[i, : len(p.calibration.coefficients)] = p.calibration.coefficients
            elif p.calibration is not None:
                self._tables.append((i, p.calibration.raw, p.calibration.eng))
        self._coeffs = coeffs
        self._identity = not any(isinstance(p.calibration, Polynomial) for p in params)

        def bound(kind: str, side: str, default: float) -> np.ndarray:
            out = np.full(len(params), default)
            for i, p in enumerate(params):
                r = getattr(p.limits, kind, None) if p.limits is not None else None
                value = None if r is None else getattr(r, side)
                if value is not None:
                    out[i] = value
            return out

        self._yl, self._yh = bound("yellow", "low", -np.inf), bound("yellow", "high", np.inf)
        self._rl, self._rh = bound("red", "low", -np.inf), bound("red", "high", np.inf)
        self.has_limits = np.array([p.limits is not None for p in params])

    def raw_matrix(self, frames: np.ndarray) -> np.ndarray:
        """``(N, P)`` float64 raw values from ``(N, ≥size)`` uint8 frames."""
        n = frames.shape[0]
        out = np.empty((n, len(self.names)))
        for columns, gather, dtype in self._groups:  # one gather + one cast per type
            out[:, columns] = np.take(frames, gather, axis=1).view(dtype)
        for i, offset, size in self._bits:
            out[:, i] = extract_bits(frames, bit_offset=offset, bit_size=size)
        if self._bools.size:
            out[:, self._bools] = out[:, self._bools] != 0
        return out

    def engineering(self, raw: np.ndarray) -> np.ndarray:
        """Calibrate every column of a raw matrix."""
        if self._identity:
            eng = raw.copy()
        else:
            c = self._coeffs
            eng = np.broadcast_to(c[:, -1], raw.shape).copy()
            for k in range(c.shape[1] - 2, -1, -1):
                eng *= raw
                eng += c[:, k]
        for i, xp, fp in self._tables:
            eng[:, i] = apply_table(raw[:, i], xp, fp)
        return eng

    def levels(self, eng: np.ndarray) -> np.ndarray:
        """``(N, P)`` int8 limit levels (0 in limits, 1 yellow, 2 red; NaN counts as in)."""
        level = ((eng < self._yl) | (eng > self._yh)).astype(np.int8)
        level[(eng < self._rl) | (eng > self._rh)] = 2
        return level

    def frames(self, data: Sequence[bytes]) -> np.ndarray:
        return _as_frames(data, self.size, self.container.name)
