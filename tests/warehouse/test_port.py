"""The warehouse port behaves the same on DuckDB and on BigQuery (bqemulator)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from strikeouts.warehouse import Warehouse, WarehouseError, load_schema, table_names

from . import rows


def _columns(warehouse: Warehouse, table: str) -> pd.DataFrame:
    return warehouse.query(f"SELECT * FROM {table} LIMIT 0")


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by).reset_index(drop=True)


def test_ensure_tables_creates_every_schema_table_with_its_columns(warehouse: Warehouse) -> None:
    warehouse.ensure_tables()
    warehouse.ensure_tables()  # idempotent
    for table in table_names():
        assert list(_columns(warehouse, table).columns) == load_schema(table).column_names
        assert warehouse.row_count(table) == 0


@pytest.mark.emulator
def test_both_backends_give_the_same_dtypes_for_every_table(
    both: tuple[Warehouse, Warehouse],
) -> None:
    duck, bq = both
    for warehouse in both:
        warehouse.ensure_tables()
    for table in table_names():
        pd.testing.assert_series_equal(
            _columns(duck, table).dtypes, _columns(bq, table).dtypes, obj=table
        )


@pytest.mark.emulator
def test_bigquery_tables_carry_schema_types_partitioning_and_clustering(
    open_backend: object,
) -> None:
    from strikeouts.cloud.bigquery_warehouse import BigQueryWarehouse

    bq = open_backend("bigquery")  # type: ignore[operator]
    assert isinstance(bq, BigQueryWarehouse)
    bq.ensure_tables()
    for name in table_names():
        schema = load_schema(name)
        table = bq.client.get_table(bq.table_id(name))
        got = [(f.name, f.field_type, f.mode) for f in table.schema]
        want = [(c.name, c.type, c.mode) for c in schema.columns]
        assert got == want, name
        partition = table.time_partitioning.field if table.time_partitioning else None
        assert partition == schema.partition, name
        assert tuple(table.clustering_fields or ()) == schema.cluster, name


def test_replace_table_replaces_the_whole_content(warehouse: Warehouse) -> None:
    assert warehouse.replace_table("pitcher_starts", rows.pitcher_starts(12)) == 12
    assert warehouse.replace_table("pitcher_starts", rows.pitcher_starts(12)) == 12
    assert warehouse.row_count("pitcher_starts") == 12
    assert warehouse.replace_table("pitcher_starts", rows.pitcher_starts(5, first=100)) == 5
    ids = warehouse.query("SELECT game_id FROM pitcher_starts ORDER BY game_id")["game_id"]
    assert list(ids) == [f"G{i:05d}" for i in range(100, 105)]
    assert warehouse.replace_table("pitcher_starts", rows.pitcher_starts(0)) == 0
    assert warehouse.row_count("pitcher_starts") == 0


def test_row_count_of_a_missing_table_is_zero(warehouse: Warehouse) -> None:
    assert warehouse.row_count("pitcher_starts") == 0


def test_a_null_in_a_required_column_is_refused_naming_table_and_column(
    warehouse: Warehouse,
) -> None:
    frame = rows.pitcher_starts(4)
    frame.loc[2, "strikeouts"] = None
    with pytest.raises(WarehouseError, match=r"pitcher_starts\.strikeouts is REQUIRED"):
        warehouse.replace_table("pitcher_starts", frame)
    with pytest.raises(WarehouseError, match=r"pitcher_starts\.strikeouts is REQUIRED"):
        warehouse.merge("pitcher_starts", frame)
    assert warehouse.row_count("pitcher_starts") == 0


def test_an_unknown_column_is_refused_naming_table_and_column(warehouse: Warehouse) -> None:
    frame = rows.pitcher_starts(3).assign(velocity=95.1)
    with pytest.raises(
        WarehouseError, match=r"pitcher_starts: columns not in the schema.*velocity"
    ):
        warehouse.merge("pitcher_starts", frame)
    assert warehouse.row_count("pitcher_starts") == 0


def test_merge_inserts_only_new_keys(warehouse: Warehouse) -> None:
    first = rows.pitcher_starts(6)
    assert warehouse.merge("pitcher_starts", first) == 6
    assert warehouse.merge("pitcher_starts", first) == 0
    overlapping = rows.pitcher_starts(6, first=3)  # keys 3..5 exist, 6..8 are new
    overlapping["strikeouts"] = 99  # a changed value on an existing key is not applied
    assert warehouse.merge("pitcher_starts", overlapping) == 3
    assert warehouse.row_count("pitcher_starts") == 9
    stored = warehouse.query("SELECT game_id, strikeouts FROM pitcher_starts ORDER BY game_id")
    assert list(stored["strikeouts"]) == [i % 11 for i in range(6)] + [99, 99, 99]


def test_merge_counts_a_key_repeated_within_one_batch_once(warehouse: Warehouse) -> None:
    batch = pd.concat([rows.pitcher_starts(3), rows.pitcher_starts(2)], ignore_index=True)
    assert warehouse.merge("pitcher_starts", batch) == 3
    assert warehouse.merge("pitcher_starts", rows.pitcher_starts(0)) == 0
    assert warehouse.row_count("pitcher_starts") == 3


def test_upsert_replaces_existing_keys_and_inserts_new_ones(warehouse: Warehouse) -> None:
    assert warehouse.upsert("pitcher_starts", rows.pitcher_starts(6)) == 6
    corrected = rows.pitcher_starts(6, first=3)  # keys 3..5 exist, 6..8 are new
    corrected["strikeouts"] = 99
    assert warehouse.upsert("pitcher_starts", corrected) == 6
    assert warehouse.upsert("pitcher_starts", corrected) == 6  # again: same content
    assert warehouse.row_count("pitcher_starts") == 9
    stored = warehouse.query("SELECT game_id, strikeouts FROM pitcher_starts ORDER BY game_id")
    assert list(stored["strikeouts"]) == [0, 1, 2] + [99] * 6


def test_merge_needs_a_table_key(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = load_schema("pitcher_starts")
    keyless = type(schema)(name=schema.name, columns=schema.columns)
    # both backends take a merge's schema from the shared keyed_rows() in warehouse.base
    monkeypatch.setattr("strikeouts.warehouse.base.load_schema", lambda _: keyless)
    with pytest.raises(WarehouseError, match="pitcher_starts: no key"):
        warehouse.merge("pitcher_starts", rows.pitcher_starts(1))


def test_repeated_columns_round_trip(warehouse: Warehouse) -> None:
    games = rows.team_games(5)
    warehouse.replace_table("team_games", games)
    stored = warehouse.query(
        "SELECT game_id, lineup_ids, lineup_retro_ids FROM team_games ORDER BY game_id"
    )
    assert [list(v) for v in stored["lineup_ids"]] == list(games["lineup_ids"])
    assert [list(v) for v in stored["lineup_retro_ids"]] == list(games["lineup_retro_ids"])


PARAM_SQL = """
SELECT game_date, game_id, pitcher_id, strikeouts, batters_faced, is_home
FROM pitcher_starts
WHERE game_date >= @since AND strikeouts >= @min_k AND team = @team
ORDER BY game_id
"""


@pytest.mark.emulator
def test_query_with_date_int_and_string_parameters_agrees(
    both: tuple[Warehouse, Warehouse],
) -> None:
    starts = rows.pitcher_starts(40)
    params = {"since": dt.date(2024, 4, 4), "min_k": 3, "team": "BOS"}
    frames = []
    for warehouse in both:
        warehouse.replace_table("pitcher_starts", starts)
        frames.append(warehouse.query(PARAM_SQL, params))
    duck, bq = frames
    pd.testing.assert_frame_equal(duck, bq)
    want = starts[
        (starts.game_date >= params["since"])
        & (starts.strikeouts >= params["min_k"])
        & (starts.team == params["team"])
    ]
    assert list(duck["game_id"]) == sorted(want["game_id"])
    assert len(duck) >= 3


# COUNTIF is an aggregate here: bqemulator cannot run it as a window function (COUNTIF() OVER)
BIGQUERY_SQL = """
WITH totals AS (
  SELECT pitcher_id, COUNTIF(strikeouts >= 5) AS big_games
  FROM pitcher_starts
  GROUP BY pitcher_id
)
SELECT
  s.pitcher_id,
  s.game_date,
  s.strikeouts,
  SAFE_DIVIDE(s.strikeouts, s.batters_faced) AS k_rate,
  DATE_SUB(s.game_date, INTERVAL 7 DAY) AS week_before,
  t.big_games,
  ROW_NUMBER() OVER (PARTITION BY s.pitcher_id ORDER BY s.game_date DESC, s.game_id DESC)
    AS recency
FROM pitcher_starts AS s
JOIN totals AS t USING (pitcher_id)
WHERE TRUE
QUALIFY recency <= 2
ORDER BY pitcher_id, recency
"""


@pytest.mark.emulator
def test_bigquery_functions_give_equal_results_on_both(both: tuple[Warehouse, Warehouse]) -> None:
    starts = rows.pitcher_starts(30)
    frames = []
    for warehouse in both:
        warehouse.replace_table("pitcher_starts", starts)
        frames.append(warehouse.query(BIGQUERY_SQL))
    duck, bq = frames
    pd.testing.assert_frame_equal(duck, bq)
    assert len(duck) == 2 * starts["pitcher_id"].nunique()
    # batters_faced is NULL on every fifth start: SAFE_DIVIDE gives NULL, not an error
    assert duck["k_rate"].isna().any() and duck["k_rate"].notna().any()
    gap = pd.to_datetime(duck["game_date"]) - pd.to_datetime(duck["week_before"])
    assert (gap == pd.Timedelta(days=7)).all()
    want_big = starts.groupby("pitcher_id")["strikeouts"].apply(lambda k: int((k >= 5).sum()))
    assert dict(zip(duck["pitcher_id"], duck["big_games"], strict=True)) == want_big.to_dict()


def test_views_are_created_with_execute(warehouse: Warehouse) -> None:
    warehouse.replace_table("pitcher_starts", rows.pitcher_starts(20))
    view = """
    CREATE OR REPLACE VIEW pitcher_totals AS
    SELECT pitcher_id, COUNT(*) AS starts, SUM(strikeouts) AS strikeouts
    FROM pitcher_starts GROUP BY pitcher_id
    """
    warehouse.execute(view)
    warehouse.execute(view)  # OR REPLACE: a second run is fine
    totals = warehouse.query(
        "SELECT pitcher_id, starts, strikeouts FROM pitcher_totals WHERE starts >= @n "
        "ORDER BY pitcher_id",
        {"n": 3},
    )
    starts = rows.pitcher_starts(20).groupby("pitcher_id")["strikeouts"].agg(["count", "sum"])
    assert list(totals["pitcher_id"]) == list(starts.index[starts["count"] >= 3])
    assert list(totals["strikeouts"]) == list(starts["sum"][starts["count"] >= 3])


def test_a_bad_statement_raises_warehouse_error_with_the_sql(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="no_such_table"):
        warehouse.query("SELECT * FROM no_such_table")


@pytest.mark.emulator
def test_timestamps_floats_and_nulls_round_trip_alike(both: tuple[Warehouse, Warehouse]) -> None:
    rejected = pd.DataFrame(
        {
            "source_file": ["a.csv", "a.csv", "b.csv"],
            "line_number": [2, 3, 2],
            "column_name": ["date", "p_k", "team"],
            "value": ["2024-13-01", None, "XXX"],
            "reason": ["bad date", "missing", "unknown team"],
            "rejected_at": pd.to_datetime(
                [
                    "2024-04-01 12:00:00.123456",
                    "2024-04-01 12:00:01.000000",
                    "2024-04-02 00:00:00.000000",
                ],
                utc=True,
            ),
        }
    )
    frames = []
    for warehouse in both:
        assert warehouse.merge("rejected_rows", rejected) == 3
        frames.append(
            warehouse.query(
                "SELECT *, TIMESTAMP_DIFF(rejected_at, TIMESTAMP '2024-04-01', SECOND) AS s "
                "FROM rejected_rows ORDER BY source_file, line_number"
            )
        )
    duck, bq = frames
    pd.testing.assert_frame_equal(duck, bq)
    assert list(duck["s"]) == [43200, 43201, 86400]
    assert duck["rejected_at"].iloc[0].microsecond == 123456
    assert duck["value"].isna().tolist() == [False, True, False]
