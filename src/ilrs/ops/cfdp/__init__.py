"""CFDP (CCSDS 727.0-B-5) file downlink over the simulated space link, suspended across
outages (``downlink``); the entities themselves are :mod:`ilrs.ops.tmtc.cfdp`. Nothing is
imported here.
"""
