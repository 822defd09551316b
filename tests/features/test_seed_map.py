"""The account of the seed's features is complete, and docs/MODELING.md says exactly it."""

from __future__ import annotations

import re
from pathlib import Path

from strikeouts.features import SPECS, V1_6_ROLLING
from strikeouts.features.seed import SEED_V1, V1_6_ADDED, V1_6_MAPPING

MODELING = Path(__file__).resolve().parents[2] / "docs" / "MODELING.md"


def _rows(first_header: str) -> list[list[str]]:
    """The body rows of the docs table whose first header cell is ``first_header``."""
    lines = MODELING.read_text().splitlines()
    start = next(i for i, li in enumerate(lines) if li.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _names(cell: str) -> tuple[str, ...]:
    return tuple(re.findall(r"`([^`]+)`", cell))


def test_the_mapping_accounts_for_each_of_the_seeds_35_features_once() -> None:
    seeds = [m.seed for m in V1_6_MAPPING]
    assert len(seeds) == 35 and len(set(seeds)) == 35
    # the seed's v1.6 kept its v1 features up to f24 (it dropped the bottom-up f25-f33)
    v1_kept = {f"{n}_{name}" for n, name in SEED_V1.items() if n <= "f24"}
    assert v1_kept <= set(seeds)
    for m in V1_6_MAPPING:
        assert m.why, m.seed
        assert bool(m.ours) == (m.status != "absent"), m.seed


def test_the_mapping_names_exactly_the_catalogs_v1_6_features() -> None:
    named = [o for m in V1_6_MAPPING for o in m.ours] + list(V1_6_ADDED)
    assert len(named) == len(set(named))
    assert set(named) == set(V1_6_ROLLING.names)


def test_the_docs_v1_6_table_is_the_mapping() -> None:
    rows = _rows("seed (v1.6)")
    documented = [(_names(seed)[0], status, _names(here)) for seed, status, here, _ in rows]
    assert documented == [(m.seed, m.status, m.ours) for m in V1_6_MAPPING]
    added = [_names(name)[0] for name, _ in _rows("added in v1_6_rolling")]
    assert added == list(V1_6_ADDED)


def test_the_docs_v1_table_is_the_catalogs_numbering() -> None:
    by_seed = {s.seed: s.name for s in SPECS if s.seed}
    documented = [(_names(seed)[0], _names(here)[0]) for seed, here in _rows("seed (v1_baseline)")]
    assert documented == [(f"{n}_{name}", by_seed[n]) for n, name in SEED_V1.items()]
