"""The station twin as a spacecraft: housekeeping and events out as PUS packets,
telecommands in, its on-board time-based schedule (``twin``).

Nothing is imported here: the live twin loads when a spacecraft is built.
"""
