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
from strikeouts.features.catalog import SPEC_BY_NAME
from strikeouts.features.seed import SEED_V1


def test_set_sizes() -> None:
    assert len(V1_BASELINE.names) == 25
    assert len(V1_6_ROLLING.names) == 35


def test_names_unique_and_in_superset() -> None:
    assert len(set(SUPERSET)) == len(SUPERSET)
    for fs in FEATURE_SETS.values():
        assert len(set(fs.names)) == len(fs.names), fs.name
        assert set(fs.names) <= set(SUPERSET), set(fs.names) - set(SUPERSET)
        assert fs.version.startswith(f"{fs.name}/")


def test_baseline_carries_each_of_the_seeds_numbers_once() -> None:
    seeds = {s.name: s.seed for s in SPECS if s.seed}
    assert set(V1_BASELINE.names) == set(seeds)
    assert sorted(seeds.values()) == sorted(SEED_V1)


def test_a_seed_feature_we_compute_under_its_own_name_carries_its_number() -> None:
    """The seed's numbering is its code's (f15 its opponent K rate, f20 its days of rest): a
    feature whose name is the seed's, underscores aside, must carry that feature's number."""
    ours = {s.name.replace("_", ""): s for s in SPECS if s.seed}
    matched = {
        number: ours[name.replace("_", "")].name
        for number, name in SEED_V1.items()
        if name.replace("_", "") in ours
    }
    assert len(matched) >= 10, matched  # k averages, days of rest, home, postseason...
    for number, name in matched.items():
        assert SPEC_BY_NAME[name].seed == number, (name, number)
    assert SPEC_BY_NAME["days_rest"].seed == "f20"
    assert SPEC_BY_NAME["opp_k_rate_last15"].seed == "f15"  # the seed's opponent_team_k_rate


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
