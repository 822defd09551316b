"""Team codes: Retrosheet ↔ MLB/Statcast ↔ the full names the odds feed uses.

The canonical code everywhere in the warehouse is the MLB/Statcast one (LAD, NYY, ATH).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from strikeouts.data.files import TEAM_CODES_FILE, DataFileError


@dataclass(frozen=True)
class TeamCodes:
    """Lookups from each code system to the canonical MLB/Statcast code."""

    from_retro: dict[str, str]
    from_full_name: dict[str, str]
    to_retro: dict[str, str]

    @property
    def canonical(self) -> frozenset[str]:
        return frozenset(self.from_retro.values())


def load_team_codes(data_dir: Path) -> TeamCodes:
    """Read ``team_codes.csv``; an error names the path when it is missing."""
    path = data_dir / TEAM_CODES_FILE
    if not path.is_file():
        raise DataFileError(
            f"missing {path}: expected a CSV with retro_team,statcast_team,odds_api_full_name"
        )
    from_retro: dict[str, str] = {}
    from_full: dict[str, str] = {}
    to_retro: dict[str, str] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            retro, mlb, full = row["retro_team"], row["statcast_team"], row["odds_api_full_name"]
            from_retro[retro] = mlb
            from_full[full] = mlb
            # OAK and ATH both map to ATH; the newest Retrosheet code wins for synthesized ids.
            if mlb not in to_retro or retro == mlb:
                to_retro[mlb] = retro
    return TeamCodes(from_retro=from_retro, from_full_name=from_full, to_retro=to_retro)
