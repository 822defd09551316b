"""The event pipeline's transport-agnostic core: contracts, handlers, ensemble, delivery, state.

Nothing here imports a cloud client; the in-process bus and DuckDB state store are the
embedded adapters, and cloud adapters implement the same ports (see ``ports.py``).
"""
