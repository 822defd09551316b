"""The BigQuery emulator's translation memo returns exactly what bqemulator would translate, and
translates again whenever an input of the translation differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlglot
from bqemulator.sql.translator import SQLTranslator
from sqlglot import exp

from strikeouts.devstack.emulators.bigquery import (
    _memoise_parses,
    _memoise_table_refs,
    _memoise_translations,
    _views_by_reference,
)
from strikeouts.monitoring.views import VIEWS, view_sql

SCHEMA = {"pitcher_strikeout_predictions": {"pitcher_id": "VARCHAR", "predicted": "DOUBLE"}}
QUERY = "SELECT pitcher_id, AVG(predicted) AS p FROM `d.pitcher_strikeout_predictions` GROUP BY 1"


@pytest.fixture
def unpatched() -> Any:
    """bqemulator's own translate, taken before any test patches the class."""
    return SQLTranslator.translate


@pytest.fixture
def calls(unpatched: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Memoise a counting translator for this test only (monkeypatch restores the class)."""
    original = unpatched
    seen: list[str] = []

    def counting(self: SQLTranslator, bq_sql: str, **kwargs: Any) -> Any:
        seen.append(bq_sql)
        return original(self, bq_sql, **kwargs)

    monkeypatch.setattr(SQLTranslator, "translate", counting)
    _memoise_translations(size=3)
    return seen


def test_the_views_translate_as_without_the_memo_and_only_once(
    calls: list[str], unpatched: Any
) -> None:
    translator = SQLTranslator()
    for name in VIEWS:
        sql = view_sql(name, dataset="d")
        first = translator.translate(sql)
        assert first.is_ok(), (name, first)
        assert translator.translate(sql) is first
        assert calls.count(sql) == 1
        assert first.value == unpatched(translator, sql).value


def test_a_different_schema_or_caller_translates_again(calls: list[str]) -> None:
    translator = SQLTranslator()
    plain = translator.translate(QUERY)
    typed = translator.translate(QUERY, schema=SCHEMA)
    other = translator.translate(QUERY, schema={"pitcher_strikeout_predictions": {"x": "INTEGER"}})
    assert len(calls) == 3
    assert translator.translate(QUERY, schema=dict(SCHEMA)) is typed
    assert len(calls) == 3
    assert plain.is_ok() and typed.is_ok() and other.is_ok()


def test_failures_are_not_kept_and_the_memo_is_bounded(calls: list[str]) -> None:
    translator = SQLTranslator()
    bad = "SELECT * FROM ML.PREDICT(MODEL m, TABLE t)"
    assert not translator.translate(bad).is_ok()
    assert not translator.translate(bad).is_ok()
    assert calls.count(bad) == 2
    for n in range(4):  # size 3: the first falls out
        translator.translate(f"SELECT {n} AS n")
    translator.translate("SELECT 0 AS n")
    assert calls.count("SELECT 0 AS n") == 2
    translator.translate("SELECT 3 AS n")
    assert calls.count("SELECT 3 AS n") == 1


def test_table_refs_are_qualified_as_without_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    import bqemulator.jobs.executor as executor

    monkeypatch.setattr(executor, "rewrite_table_refs", executor.rewrite_table_refs)
    plain = executor.rewrite_table_refs
    _memoise_table_refs(size=8)
    sql = 'SELECT * FROM "d"."t" JOIN d.u USING (k)'
    assert executor.rewrite_table_refs(sql, "p") == plain(sql, "p")
    assert executor.rewrite_table_refs(sql, "q") == plain(sql, "q") != plain(sql, "p")
    assert executor.rewrite_table_refs.cache_info().hits == 0  # type: ignore[attr-defined]
    executor.rewrite_table_refs(sql, "p")
    assert executor.rewrite_table_refs.cache_info().hits == 1  # type: ignore[attr-defined]


def test_a_shared_directory_serves_another_emulators_translation(
    unpatched: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[str] = []

    def counting(self: SQLTranslator, bq_sql: str, **kwargs: Any) -> Any:
        seen.append(bq_sql)
        return unpatched(self, bq_sql, **kwargs)

    monkeypatch.setattr(SQLTranslator, "translate", counting)
    _memoise_translations(shared=tmp_path)  # one emulator
    first = SQLTranslator().translate(QUERY, schema=SCHEMA)
    [written] = tmp_path.iterdir()  # one whole file, no partial one left
    assert written.suffix == ".sql" and written.read_text() == first.value
    monkeypatch.setattr(SQLTranslator, "translate", counting)
    _memoise_translations(shared=tmp_path)  # another, with an empty memory
    again = SQLTranslator().translate(QUERY, schema=SCHEMA)
    assert again.is_ok() and again.value == first.value
    assert seen == [QUERY]
    SQLTranslator().translate(QUERY)  # another input: translated, and shared too
    assert seen == [QUERY, QUERY] and len(list(tmp_path.iterdir())) == 2


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Memoise a counting ``sqlglot.parse_one`` for this test only (monkeypatch restores it)."""
    original = sqlglot.parse_one
    seen: list[tuple[str, Any]] = []

    def counting(sql: str, read: Any = None, **kwargs: Any) -> Any:
        seen.append((sql, read))
        return original(sql, read=read, **kwargs)

    monkeypatch.setattr(sqlglot, "parse_one", counting)
    _memoise_parses(size=2)
    return seen


def test_each_parse_is_a_tree_of_its_own_equal_to_a_fresh_parse(
    parses: list[tuple[str, Any]],
) -> None:
    first = sqlglot.parse_one(QUERY, read="bigquery")
    table = first.find(exp.Table)
    assert table is not None
    table.set("this", exp.to_identifier("rewritten_in_place"))  # as bqemulator's passes do
    second = sqlglot.parse_one(QUERY, read="bigquery")
    assert second is not first
    assert "rewritten_in_place" not in second.sql(dialect="bigquery")
    assert second == sqlglot.Dialect.get_or_raise("bigquery").parse(QUERY)[0]
    assert len(parses) == 1


def test_another_dialect_or_sql_parses_again_and_the_oldest_tree_is_let_go(
    parses: list[tuple[str, Any]],
) -> None:
    plain, other = "SELECT a FROM t", "SELECT 1 AS one"
    sqlglot.parse_one(plain, read="bigquery")
    sqlglot.parse_one(plain, read="duckdb")
    assert parses == [(plain, "bigquery"), (plain, "duckdb")]
    sqlglot.parse_one(other, read="bigquery")  # a third tree: the first one goes (size 2)
    sqlglot.parse_one(plain, read="duckdb")
    sqlglot.parse_one(plain, read="bigquery")
    assert parses[2:] == [(other, "bigquery"), (plain, "bigquery")]


class Catalog:
    """A catalog stand-in: only the policy listing is read before the rewrite is chosen."""

    def __init__(self, policies: tuple[object, ...]) -> None:
        self.policies = policies

    def list_all_row_access_policies(self) -> tuple[object, ...]:
        return self.policies


def test_views_are_inlined_only_while_a_row_access_policy_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bqemulator.sql.inner_query as inner_query

    inlined: list[str] = []

    def inline(bq_sql: str, **kwargs: Any) -> str:
        inlined.append(bq_sql)
        return f"SELECT * FROM ({bq_sql})"

    monkeypatch.setattr(inner_query, "rewrite_for_row_access", inline)
    _views_by_reference()
    rewrite = inner_query.rewrite_for_row_access
    unprotected = rewrite(QUERY, project_id="p", caller=None, catalog=Catalog(()))
    assert unprotected == QUERY and inlined == []
    protected = rewrite(QUERY, project_id="p", caller=None, catalog=Catalog((object(),)))
    assert protected == f"SELECT * FROM ({QUERY})" and inlined == [QUERY]
