"""The one exception hierarchy of ilrs: every error a user can cause is an ``IlrsError``.

Each exception carries fields (what was wrong, where, what was allowed) so that the CLI can
print one clear line and callers can react programmatically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy only for the annotation: importing ilrs.errors stays instant
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


class ScenarioFileError(InputError):
    """A campaign / scenario file is unreadable or does not match its schema.

    ``file`` is the path of the file, ``path`` the place inside it (``missions[3].vehicle``),
    ``line`` the 1-based line (``None`` when unknown), ``expected`` what was allowed and
    ``value`` what was found.
    """

    def __init__(
        self, file: str, path: str, line: int | None, expected: str, value: object = None
    ):
        self.file = file
        self.path = path
        self.line = line
        self.what = f"{file}:{line}" if line is not None else file
        self.value = value
        self.expected = expected
        where = f"{self.what}: {path}" if path else self.what
        got = "" if value is None else f"got {value!r}, "
        ValueError.__init__(self, f"{where}: {got}expected {expected}")


class CampaignReferenceError(InputError):
    """A campaign lookup names a mission, vehicle, facility or partner that does not exist."""


class DemError(IlrsError):
    """An elevation model cannot answer the question asked of it.

    ``path`` is the file (or ``"<memory>"``), ``problem`` says what was wrong with it (no
    CRS, not lunar, not covering the site, a hole under the site…).
    """

    def __init__(self, path: object, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"elevation model {self.path}: {problem}")


class CampaignValidationError(IlrsError):
    """A roadmap has error findings; ``n_errors`` counts them and ``file`` names the roadmap."""

    def __init__(self, file: str, n_errors: int):
        self.file = file
        self.n_errors = n_errors
        super().__init__(f"{file}: {n_errors} error finding(s)")


class PacketError(InputError):
    """A space packet or one of its fields is malformed (``ilrs.ops.tmtc.packets``)."""


class MissionDatabaseError(ScenarioFileError):
    """A mission database (YAML or XTCE) is unreadable or does not match its schema."""


class ArchiveError(IlrsError):
    """The archive cannot store or answer: ``backend`` names it, ``problem`` says why."""

    def __init__(self, backend: str, problem: str):
        self.backend = backend
        self.problem = problem
        super().__init__(f"archive ({backend}): {problem}")


class ExpressionError(InputError):
    """A derived-parameter expression uses syntax or names outside the allowed set."""


class PermissionDeniedError(IlrsError):
    """``user`` may not do ``action`` on ``target`` (partner permissions of ``ilrs.ops``)."""

    def __init__(self, user: str, action: str, target: str):
        self.user = user
        self.action = action
        self.target = target
        super().__init__(f"user {user!r} may not {action} {target}")


class CommandRejectedError(IlrsError):
    """A telecommand was refused at ``stage`` (authorization, constraint…) for ``reason``."""

    def __init__(self, command: str, stage: str, reason: str):
        self.command = command
        self.stage = stage
        self.reason = reason
        super().__init__(f"command {command} rejected at {stage}: {reason}")


class OpsConfigError(ScenarioFileError):
    """A command-center configuration file (users, partners, roles) is invalid."""


class LinkDownError(IlrsError, ConnectionError):
    """No spacecraft is connected to the command center: a telecommand cannot be sent."""


class OpsClientError(IlrsError):
    """The command center answered a client call with an error: ``status`` and ``detail``."""

    def __init__(self, status: int, detail: str):
        self.status = status
        self.detail = detail
        super().__init__(f"HTTP {status}: {detail}")


class ExternalProgramError(IlrsError):
    """A program the platform works beside (Yamcs, its Java runtime) is missing or failed
    to start: ``program`` and what went wrong."""

    def __init__(self, program: str, problem: str):
        self.program = program
        self.problem = problem
        super().__init__(f"{program}: {problem}")
