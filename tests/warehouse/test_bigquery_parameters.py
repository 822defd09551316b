"""Query parameters get their BigQuery type from the Python value (no emulator needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from strikeouts.warehouse import WarehouseError

bigquery_backend = pytest.importorskip("strikeouts.cloud.bigquery_warehouse")


@pytest.mark.parametrize(
    ("value", "bq_type"),
    [
        (True, "BOOL"),
        (np.bool_(False), "BOOL"),
        (3, "INT64"),
        (np.int64(3), "INT64"),
        (2.5, "FLOAT64"),
        (np.float32(2.5), "FLOAT64"),
        (Decimal("1.5"), "NUMERIC"),
        ("NYA", "STRING"),
        (dt.date(2024, 4, 1), "DATE"),
        (dt.datetime(2024, 4, 1, 19, 5, tzinfo=dt.UTC), "TIMESTAMP"),
    ],
)
def test_parameter_type_follows_the_python_value(value: Any, bq_type: str) -> None:
    assert bigquery_backend.parameter_type("p", value) == bq_type


def test_a_list_becomes_an_array_parameter_of_its_element_type() -> None:
    param = bigquery_backend.query_parameter("ids", [None, 7, 8])
    assert (param.name, param.array_type, param.values) == ("ids", "INT64", [None, 7, 8])


@pytest.mark.parametrize("value", [None, object(), []])
def test_an_untypeable_parameter_is_refused_naming_it(value: Any) -> None:
    with pytest.raises(WarehouseError, match="@since"):
        bigquery_backend.query_parameter("since", value)


def test_a_bigquery_url_without_dataset_is_refused() -> None:
    with pytest.raises(WarehouseError, match="bigquery://PROJECT/DATASET"):
        bigquery_backend.BigQueryWarehouse(project="p", dataset="", endpoint="http://127.0.0.1:1")
