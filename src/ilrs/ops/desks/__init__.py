"""The desks: jobs the server runs beside the command center — plans uploaded, checked,
delivered as PUS-11 commands and repaired after faults (``plans``, ``upload``, ``repair``),
and polar illumination products on request (``lighting``).

Nothing is imported here: the planner and the lighting engine load with the first job.
"""
