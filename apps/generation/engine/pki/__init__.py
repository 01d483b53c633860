"""Verifiable PKI objects for travel documents: deterministic keys, ICAO certificate profiles, CRLs and CMS.

Django-free like the rest of the engine. Every object is a pure function of (document secret, seed, table,
column, row) and the row's other values, so the same plan gives the same bytes in any process and chunking.
"""
