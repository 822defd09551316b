"""The warehouse dataset as Terraform makes it, for a dataset Terraform does not manage.

Invariant: the same tables (infra/bigquery.tf: every schema file but the aggregation state),
the two staging tables, and every view from its SQL file qualified by the same rule as
``infra/modules/view_query``, so a local stack's `deploy validate` and monitor find what they
would find in the cloud. Only for a warehouse that manages its schema (never in the cloud,
where the functions run no DDL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strikeouts.cloud.staging import ensure_staging
from strikeouts.monitoring.views import ensure_views
from strikeouts.names import SHADOW_PREDICTIONS
from strikeouts.warehouse.schemas import deployed_table_names

if TYPE_CHECKING:
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse


def create_like_terraform(warehouse: BigQueryWarehouse) -> None:
    """Tables, staging tables and views, in Terraform's order (views after their tables)."""
    warehouse.ensure_tables(deployed_table_names())
    ensure_staging(warehouse)  # the predictions, their staging table and the view
    ensure_staging(warehouse, SHADOW_PREDICTIONS)  # where challengers' rows are staged
    ensure_views(warehouse)
