"""Small data directories built in tmp from the first rows of the real files (never committed).

Mutations edit one cell of one line, so a test knows the file, line, column and value a
rejection must name.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from pathlib import Path

# One season is enough for the rejection paths; each file keeps its header + ROWS lines.
ROWS = 40
SOURCES = {
    "retrosheet/2024pitching.csv": "retrosheet/2024pitching.csv.gz",
    "retrosheet/2024teamstats.csv": "retrosheet/2024teamstats.csv.gz",
    "retrosheet/2024gameinfo.csv": "retrosheet/2024gameinfo.csv.gz",
    "retrosplits/teams-2024.csv": "retrosplits/teams-2024.csv.gz",
    "statcast/starts_2024-03.csv": "statcast/starts_2024-03_2026-05.csv.gz",
}


def build(data_dir: Path, target: Path, rows: int = ROWS) -> Path:
    """A data dir in ``target`` with the head of each real file, the register and team codes."""
    for name, source in SOURCES.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(data_dir / source, "rt", newline="") as fh:
            head = [next(fh) for _ in range(rows + 1)]
        (target / name).write_text("".join(head))
    (target / "register").mkdir(exist_ok=True)
    shutil.copy(data_dir / "register/people_mlb2015plus.csv.gz", target / "register")
    shutil.copy(data_dir / "team_codes.csv", target / "team_codes.csv")
    return target


def cell(path: Path, line: int, column: str) -> str:
    """The value at 1-based ``line`` (header = 1) and ``column`` of a plain CSV."""
    table = list(csv.reader(path.read_text().splitlines()))
    return table[line - 1][table[0].index(column)]


def set_cell(path: Path, line: int, column: str, value: str) -> str:
    """Overwrite one cell; returns the new raw line."""
    table = list(csv.reader(path.read_text().splitlines()))
    table[line - 1][table[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    path.write_text(out.getvalue())
    return path.read_text().splitlines()[line - 1]


def first_line(path: Path, where: dict[str, str]) -> int:
    """The first 1-based line whose cells equal every ``column: value`` of ``where``."""
    table = list(csv.reader(path.read_text().splitlines()))
    index = {table[0].index(column): value for column, value in where.items()}
    for number, row in enumerate(table[1:], start=2):
        if all(row[i] == v for i, v in index.items()):
            return number
    raise LookupError(f"no line of {path} has {where}")
