"""The one exception hierarchy of ilrs: every error a user can cause is an ``IlrsError``.

Each exception carries fields (what was wrong, where, what was allowed) so that the CLI can
print one clear line and callers can react programmatically.
"""

from __future__ import annotations

import numpy as np


class IlrsError(Exception):
    """Root of all errors raised by ilrs on bad input or missing data."""


class InputError(IlrsError, ValueError):
    """A value given by the user is malformed or out of its allowed domain.

    ``what`` names the input, ``value`` is what was given and ``expected`` says what is
    allowed.
    """

    def __init__(self, what: str, value: object, expected: str):
        self.what = what
        self.value = value
        self.expected = expected
        super().__init__(f"{what}: got {value!r}, expected {expected}")


class TimeFormatError(InputError):
    """A time string could not be read as a UTC ISO-8601 instant."""


class OutOfRangeError(IlrsError, ValueError):
    """Epochs fall outside what the loaded kernels cover.

    ``out_of_range_times`` is a boolean mask over the requested epochs (True where the
    epoch is not covered), as jplephem does; ``start_utc`` / ``stop_utc`` give the covered
    span.
    """

    def __init__(self, message: str, out_of_range_times: np.ndarray, start_utc: str, stop_utc: str):
        self.out_of_range_times = out_of_range_times
        self.start_utc = start_utc
        self.stop_utc = stop_utc
        super().__init__(f"{message}; the kernels cover {start_utc} to {stop_utc}")


class KernelError(IlrsError):
    """A kernel file is missing, unreadable or lacks the data asked for."""


class UnknownBodyError(InputError):
    """A body name is not one the sky engine knows."""
