"""``bigquery://PROJECT/DATASET`` plus an emulator endpoint opens a working BigQuery warehouse."""

from __future__ import annotations

import pytest

from strikeouts.adapters import open_warehouse
from strikeouts.devstack.emulators import ServerProcess
from strikeouts.devstack.emulators.bigquery import DEFAULT_PROJECT
from strikeouts.settings import Settings
from strikeouts.warehouse import table_names

from . import rows

pytestmark = pytest.mark.emulator


def test_the_factory_opens_bigquery_on_the_emulator(bigquery_emulator: ServerProcess) -> None:
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    endpoint = bigquery_emulator.endpoint.removeprefix("http://")  # the scheme is optional
    settings = Settings(
        warehouse=f"bigquery://{DEFAULT_PROJECT}/factory", stack={"bigquery_endpoint": endpoint}
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
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    assert isinstance(bigquery_warehouse, BigQueryWarehouse)
    existing = {
        t.table_id for t in bigquery_warehouse.client.list_tables(bigquery_warehouse.dataset_id)
    }
    assert set(table_names()) <= existing


def test_a_deployed_function_runs_no_ddl_and_merges_through_the_scratch_dataset(
    bigquery_emulator: ServerProcess,
) -> None:
    """Terraform owns the tables; the function account writes rows and scratch tables only."""
    from google.cloud import bigquery

    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    endpoint = bigquery_emulator.endpoint
    owner = open_warehouse(
        Settings(
            warehouse=f"bigquery://{DEFAULT_PROJECT}/owned", stack={"bigquery_endpoint": endpoint}
        )
    )
    owner.ensure_tables(["pitcher_starts"])
    deployed = Settings(
        warehouse=f"bigquery://{DEFAULT_PROJECT}/owned",
        stack={
            "bigquery_endpoint": endpoint,
            "bigquery_manage_schema": False,
            "bigquery_scratch_dataset": "owned_scratch",
        },
    )
    function = open_warehouse(deployed)
    try:
        assert function.manages_schema is False
        function.ensure_tables(["games"])  # a no-op: no DDL from a function
        tables = {t.table_id for t in owner.client.list_tables(f"{DEFAULT_PROJECT}.owned")}  # type: ignore[attr-defined]
        assert "games" not in tables
        impatient = BigQueryWarehouse(
            DEFAULT_PROJECT,
            "owned",
            endpoint,
            timeout=3.0,
            manage_schema=False,
            scratch_dataset="owned_scratch",
        )
        with pytest.raises(Exception, match="owned_scratch"):  # no scratch dataset yet
            impatient.merge("pitcher_starts", rows.pitcher_starts(2))
        impatient.close()
        owner.client.create_dataset(bigquery.Dataset(f"{DEFAULT_PROJECT}.owned_scratch"))  # type: ignore[attr-defined]
        assert function.merge("pitcher_starts", rows.pitcher_starts(2)) == 2
        assert owner.row_count("pitcher_starts") == 2
        tables = {t.table_id for t in owner.client.list_tables(f"{DEFAULT_PROJECT}.owned")}  # type: ignore[attr-defined]
        assert not any(t.startswith("_staging_") for t in tables)
    finally:
        function.close()
        owner.close()
