"""CFDP (CCSDS 727.0-B-5) file transfer over the simulated space link: the downlink
suspended across outages (``downlink``), the ground's receiving entity that survives a
restart (``receiver``, on the PDU ``journal``), and the outages from the sky's contact
windows (``contacts``); the entities themselves are :mod:`ilrs.ops.tmtc.cfdp`. Nothing is
imported here.
"""
