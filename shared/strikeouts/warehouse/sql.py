"""BigQuery SQL, written once, translated for DuckDB with sqlglot."""

from __future__ import annotations

from functools import lru_cache

import sqlglot


@lru_cache(maxsize=512)
def bigquery_to_duckdb(sql: str) -> str:
    """The DuckDB form of one BigQuery statement (``@name`` parameters become ``$name``)."""
    statements = sqlglot.transpile(sql, read="bigquery", write="duckdb")
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]
