"""``bigquery://PROJECT/DATASET`` plus an emulator endpoint opens a working BigQuery warehouse."""

from __future__ import annotations

import pytest

from strikeouts.emulators import ServerProcess
from strikeouts.emulators.bigquery import DEFAULT_PROJECT
from strikeouts.settings import Settings
from strikeouts.warehouse import open_warehouse, table_names

from . import rows

pytestmark = pytest.mark.emulator


def test_the_factory_opens_bigquery_on_the_emulator(bigquery_emulator: ServerProcess) -> None:
    from strikeouts.warehouse.bigquery_backend import BigQueryWarehouse

    endpoint = bigquery_emulator.endpoint.removeprefix("http://")  # the scheme is optional
    settings = Settings(
        warehouse=f"bigquery://{DEFAULT_PROJECT}/factory", bigquery_endpoint=endpoint
    )
    warehouse = open_warehouse(settings)
    try:
        assert isinstance(warehouse, BigQueryWarehouse)
        assert warehouse.dataset_id == f"{DEFAULT_PROJECT}.factory"
        assert warehouse.merge("pitcher_starts", rows.pitcher_starts(4)) == 4
        assert warehouse.row_count("pitcher_starts") == 4
    finally:
        warehouse.close()


def test_the_session_bigquery_warehouse_has_every_table(bigquery_warehouse: object) -> None:
    from strikeouts.warehouse.bigquery_backend import BigQueryWarehouse

    assert isinstance(bigquery_warehouse, BigQueryWarehouse)
    existing = {
        t.table_id for t in bigquery_warehouse.client.list_tables(bigquery_warehouse.dataset_id)
    }
    assert set(table_names()) <= existing
