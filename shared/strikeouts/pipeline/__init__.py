"""The event pipeline's transport-agnostic core: contracts, handlers, ensemble, delivery, state.

Invariant: no adapter lives here. Nothing imports a cloud client, a database or the
warehouse; the in-process bus is the reference transport. The embedded adapters (DuckDB state
store, warehouse sinks) are in ``strikeouts.runtime``, the cloud ones in ``strikeouts.cloud``;
both implement the ports in ``ports.py``.
"""
