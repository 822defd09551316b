"""The Google Cloud adapters and the function wiring: Pub/Sub, Cloud Storage, BigQuery, entries.

Invariant: only this package (and the local stack in ``strikeouts.devstack``, which drives it
against the emulators) imports ``google.cloud``; the handlers it wires are the same ones the
embedded pipeline runs.
"""
