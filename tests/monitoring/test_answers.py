"""One rule for what counts as an answer: the view's ``answered`` column is the constant the
deploy checks and the canary use, word for word."""

from __future__ import annotations

from strikeouts.monitoring.answers import ANSWERED_SQL
from strikeouts.monitoring.views import view_path
from strikeouts.warehouse.duckdb_backend import DuckDBWarehouse


def test_graded_predictions_answered_is_the_shared_rule() -> None:
    text = " ".join(view_path("graded_predictions").read_text().split())
    assert f"{ANSWERED_SQL} AS answered" in text


def test_the_rule_counts_ok_skip_and_fallbacks_with_a_prediction_only() -> None:
    values = "('ok', 5.0), ('skip', NULL), ('fallback', 4.5), ('fallback', NULL), ('error', NULL)"
    warehouse = DuckDBWarehouse(":memory:")
    try:
        found = warehouse.query(
            f"SELECT {ANSWERED_SQL} AS answered FROM (SELECT col0 AS status, "
            f"col1 AS predicted_strikeouts FROM (VALUES {values}) AS t(col0, col1))"
        )
    finally:
        warehouse.close()
    assert found["answered"].tolist() == [True, True, True, False, False]
