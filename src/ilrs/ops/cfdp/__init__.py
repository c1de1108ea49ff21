"""CFDP (CCSDS 727.0-B-5) file downlink of the twin's products: class 2 entities on
``cfdp-py`` (``entity``) and a downlink over the simulated space link, suspended across
outages (``downlink``). Nothing is imported here.
"""
