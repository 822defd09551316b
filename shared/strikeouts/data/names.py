"""Player names → MLBAM ids through the register, tolerant of how sportsbooks spell them.

Invariant: a name is only ever resolved to a register player; every resolution records
the method that found it, ordered from strictest (``exact``) to loosest, so a looser
method is never used where a stricter one gave an answer the caller accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from unidecode import unidecode

# Strictest first; the rank of a method is its position here.
METHODS = ("exact", "normalized", "given_name", "nickname", "swapped_order", "last_name_team")
RANK = {m: i for i, m in enumerate(METHODS)}

SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})

# Each group is one first name and its common variants; the first entry is the canonical form.
_NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("matthew", "matt", "mat"),
    ("michael", "mike", "mikey"),
    ("christopher", "chris", "cristopher", "kristopher", "kris"),
    ("nicholas", "nick", "nicky", "nico", "nicolas"),
    ("zachary", "zach", "zack", "zac", "zak", "zachery"),
    ("joshua", "josh"),
    ("daniel", "dan", "danny"),
    ("samuel", "sam", "sammy"),
    ("jacob", "jake"),
    ("joseph", "joe", "joey"),
    ("robert", "rob", "robbie", "bob", "bobby"),
    ("william", "will", "willie", "bill", "billy"),
    ("james", "jim", "jimmy", "jamie"),
    ("thomas", "tom", "tommy"),
    ("anthony", "tony"),
    ("alexander", "alex"),
    ("andrew", "andy", "drew"),
    ("benjamin", "ben", "benny"),
    ("cameron", "cam"),
    ("david", "dave", "davey"),
    ("edward", "ed", "eddie", "eddy"),
    ("gregory", "greg"),
    ("jonathan", "jon", "jonny", "johnny"),
    ("jeffrey", "jeff"),
    ("kenneth", "ken", "kenny"),
    ("lawrence", "larry"),
    ("nathaniel", "nathan", "nate"),
    ("patrick", "pat"),
    ("peter", "pete"),
    ("richard", "rich", "richie", "rick", "ricky"),
    ("ronald", "ron", "ronnie", "ronny"),
    ("steven", "stephen", "steve"),
    ("timothy", "tim", "timmy"),
    ("theodore", "ted", "teddy"),
    ("mitchell", "mitch"),
    ("maxwell", "max"),
    ("frederick", "fred", "freddy", "freddie"),
    ("charles", "charlie", "chuck"),
    ("douglas", "doug"),
    ("gerald", "jerry"),
    ("bradley", "brad"),
    ("gabriel", "gabe"),
    ("louis", "lou"),
    ("jeremy", "jeremiah"),
    ("bryan", "brian"),
    ("enrique", "kike"),
    ("ignacio", "nacho"),
    ("abraham", "abe"),
    ("dominic", "dom", "dominick"),
)
NICKNAMES: dict[str, str] = {variant: group[0] for group in _NICKNAME_GROUPS for variant in group}

_YEAR_HINT = re.compile(r"\((\d{4})\)")
_PARENS = re.compile(r"\([^)]*\)")
_NON_LETTER = re.compile(r"[^a-z ]+")


@dataclass(frozen=True)
class ParsedName:
    """A name split into normalized tokens, with the birth year some feeds append: ``(2002)``."""

    first: str
    last: str
    birth_year: int | None = None

    @property
    def key(self) -> str:
        """Letters only, no spaces: hyphen/space/initial variants compare equal."""
        return (self.first + self.last).replace(" ", "")

    @property
    def last_key(self) -> str:
        return self.last.replace(" ", "")

    @property
    def nickname_key(self) -> str:
        """The key with the first given name replaced by its canonical form."""
        head, _, rest = self.first.partition(" ")
        first = " ".join(filter(None, [NICKNAMES.get(head, head), rest]))
        return (first + self.last).replace(" ", "")


def tokens(text: object) -> list[str]:
    """Lower-case ASCII word tokens: accents folded, periods/apostrophes dropped, suffixes cut.

    Runs of single letters (``J. T.``, ``C J``) are joined into one token (``jt``).
    """
    if not isinstance(text, str):
        return []
    folded = unidecode(_PARENS.sub(" ", text)).lower()
    folded = folded.replace(".", " ").replace("'", "").replace("-", " ")
    merged: list[str] = []
    joining = False  # the last merged token is a run of initials still open for more
    for word in _NON_LETTER.sub(" ", folded).split():
        if len(word) == 1 and joining:
            merged[-1] += word
        else:
            merged.append(word)
            joining = len(word) == 1
    while len(merged) > 1 and merged[-1] in SUFFIXES:
        merged.pop()
    return merged


def parse_full_name(text: object) -> ParsedName:
    """A feed's one-string name: the last token is the surname, the rest the given names."""
    year = _YEAR_HINT.search(text) if isinstance(text, str) else None
    words = tokens(text)
    if not words:
        return ParsedName("", "", None)
    return ParsedName(" ".join(words[:-1]), words[-1], int(year.group(1)) if year else None)


def parse_parts(first: object, last: object) -> ParsedName:
    """A register name from its separate first and last name fields."""
    return ParsedName(" ".join(tokens(first)), " ".join(tokens(last)))


def register_keys(players: pd.DataFrame) -> pd.DataFrame:
    """Every spelling each register player answers to: ``method``, ``key``, ``player_id``."""
    rows: list[tuple[str, str, int]] = []
    for pid, full, first, last, given, nick in zip(
        players["player_id"],
        players["full_name"],
        players["name_first"],
        players["name_last"],
        players["name_given"],
        players["name_nick"],
        strict=True,
    ):
        pid = int(pid)
        if isinstance(full, str) and full.strip():
            rows.append(("exact", full.strip(), pid))
        name = parse_parts(first, last)
        if not name.last:
            continue
        rows.append(("normalized", name.key, pid))
        rows.append(("nickname", name.nickname_key, pid))
        # Feeds now and then print a surname-like first name last: "Daniel Davis" for Davis Daniel.
        rows.append(("swapped_order", ParsedName(name.last, name.first).key, pid))
        given_words = tokens(given)
        for given_first in {" ".join(given_words[:1]), " ".join(given_words)} - {""}:
            variant = ParsedName(given_first, name.last)
            rows.append(("given_name", variant.key, pid))
            rows.append(("nickname", variant.nickname_key, pid))
        if tokens(nick):
            rows.append(("nickname", ParsedName(" ".join(tokens(nick)), name.last).key, pid))
    keys = pd.DataFrame(rows, columns=["method", "key", "player_id"]).drop_duplicates()
    return keys.astype({"player_id": "int64"})


def query_keys(names: pd.Series) -> pd.DataFrame:
    """The keys a feed name is looked up by, one row per (``name``, ``method``, ``key``)."""
    rows: list[tuple[str, str, str]] = []
    for name in names.dropna().unique():
        parsed = parse_full_name(name)
        if not parsed.last:
            continue
        rows.append((name, "exact", str(name).strip()))
        rows.append((name, "normalized", parsed.key))
        rows.append((name, "given_name", parsed.key))
        rows.append((name, "nickname", parsed.nickname_key))
        rows.append((name, "swapped_order", parsed.key))
    return pd.DataFrame(rows, columns=["name", "method", "key"])
