"""The catalog declares each feature once and the two systems' sets select from it."""

from __future__ import annotations

import pytest

from strikeouts.features import (
    FEATURE_SETS,
    SPECS,
    SUPERSET,
    V1_6_ROLLING,
    V1_BASELINE,
    feature_set,
)


def test_set_sizes() -> None:
    assert len(V1_BASELINE.names) == 25
    assert len(V1_6_ROLLING.names) == 35


def test_names_unique_and_in_superset() -> None:
    assert len(set(SUPERSET)) == len(SUPERSET)
    for fs in FEATURE_SETS.values():
        assert len(set(fs.names)) == len(fs.names), fs.name
        assert set(fs.names) <= set(SUPERSET), set(fs.names) - set(SUPERSET)
        assert fs.version.startswith(f"{fs.name}/")


def test_baseline_keeps_seed_numbers() -> None:
    seeds = {s.name: s.seed for s in SPECS if s.seed}
    assert set(V1_BASELINE.names) == set(seeds)
    assert len(set(seeds.values())) == 25


def test_every_spec_is_described() -> None:
    for spec in SPECS:
        assert spec.definition and spec.window and spec.source, spec.name


def test_red_flag_inputs_are_features() -> None:
    from strikeouts.pipeline.config import PipelineConfig

    config = PipelineConfig()
    read = {c.feature for rule in config.red_flags.values() for c in rule.conditions}
    # the injured list is not in our data: fanout adds it only when the event says so
    assert read - set(SUPERSET) == {"on_injured_list", "injured_list_unknown"}


def test_unknown_set_named() -> None:
    with pytest.raises(KeyError, match="v9"):
        feature_set("v9")
