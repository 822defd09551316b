"""fanout: one game-schedule event → one pitcher-game message per probable starter.

The message carries the feature snapshot as of the event (names → number or null), the
feature-set versions and coverage, the line known then, the run id and the deadline, so a
system needs no further query and a republished message reproduces the same prediction.
The deadline derives from the event, never from the wall clock, for the same reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from strikeouts.names import PITCHER_GAMES
from strikeouts.pipeline.clock import from_iso, to_iso
from strikeouts.pipeline.config import PipelineConfig
from strikeouts.pipeline.errors import InvalidMessage
from strikeouts.pipeline.messages import SCHEMA_VERSION, Payload, decode, json_number, validate
from strikeouts.pipeline.payloads import GameScheduleEvent, PitcherGameHeader, PitcherGameMessage
from strikeouts.pipeline.ports import (
    FeatureRow,
    FeatureSource,
    Line,
    LineSource,
    PitcherGameRef,
    Publisher,
)

INJURED_LIST_FEATURE = "on_injured_list"
INJURED_LIST_UNKNOWN_FEATURE = "injured_list_unknown"


class Fanout:
    """Handler of ``game-schedule`` events."""

    def __init__(
        self,
        features: FeatureSource,
        publisher: Publisher,
        config: PipelineConfig,
        lines: LineSource | None = None,
    ) -> None:
        self.features = features
        self.publisher = publisher
        self.config = config
        self.lines = lines

    def __call__(self, payload: Payload) -> list[PitcherGameMessage]:
        """Publish the pitcher-game messages of one schedule event; returns them."""
        event = decode("game-schedule", payload, self.config.max_message_bytes)
        game_date = date.fromisoformat(event["game_date"])
        starters = _starters(event, game_date)
        if not starters:
            return []
        snapshot = self.features.snapshot(game_date, [ref for ref, _ in starters])
        if len(snapshot.rows) != len(starters):
            raise RuntimeError(
                f"feature source returned {len(snapshot.rows)} rows for {len(starters)} pitcher-games"
            )
        messages = [
            self._message(event, ref, line, row, snapshot.feature_set_versions, len(starters))
            for (ref, line), row in zip(starters, snapshot.rows, strict=True)
        ]
        for message in messages:
            header = message["header"]
            self.publisher.publish(
                PITCHER_GAMES,
                message,
                {
                    "run_id": header["run_id"],
                    "game_id": header["game_id"],
                    "pitcher_id": str(header["pitcher_id"]),
                },
            )
        return messages

    def _deadline(self, event: GameScheduleEvent) -> str:
        if "deadline" in event:
            return str(event["deadline"])
        created = from_iso(event["run_created_at"])
        return to_iso(created + timedelta(seconds=self.config.deadline_seconds))

    def _message(
        self,
        event: GameScheduleEvent,
        ref: PitcherGameRef,
        line: Line | None,
        row: FeatureRow,
        versions: Mapping[str, str],
        run_size: int,
    ) -> PitcherGameMessage:
        if line is None and self.lines is not None:
            line = self.lines.line_for(ref.game_date, ref)
        header: PitcherGameHeader = {
            "run_id": event["run_id"],
            "run_created_at": event["run_created_at"],
            "game_id": ref.game_id,
            "game_pk": ref.game_pk,
            "game_date": ref.game_date.isoformat(),
            "pitcher_id": ref.pitcher_id,
            "pitcher_name": ref.pitcher_name,
            "team": ref.team,
            "opponent": ref.opponent,
            "is_home": ref.is_home,
            "deadline": self._deadline(event),
            "expected_systems": list(event.get("expected_systems") or self.config.expected_systems),
            "line": None if line is None else line.as_message(),
            # the ensemble's tick announces the run complete once this many are written
            "run_pitcher_games": run_size,
        }
        if ref.game_time:
            header["game_time"] = ref.game_time
        message: PitcherGameMessage = {
            "schema_version": SCHEMA_VERSION,
            "message_type": "pitcher-game",
            "header": header,
            "features": _features(row, ref),
            "feature_set_versions": dict(versions),
            "feature_coverage": {k: float(v) for k, v in sorted(row.coverage.items())},
        }
        validate("pitcher-game", message)
        return message


def _features(row: FeatureRow, ref: PitcherGameRef) -> dict[str, float | None]:
    """The snapshot's features, plus the event's injured-list input when given (or the mark
    that it could not be read)."""
    features = {name: json_number(v) for name, v in row.features.items()}
    if ref.injured_list is not None:
        features[INJURED_LIST_FEATURE] = 1.0 if ref.injured_list else 0.0
    if ref.injured_list_unknown:
        features[INJURED_LIST_UNKNOWN_FEATURE] = 1.0
    return dict(sorted(features.items()))


def _starters(
    event: GameScheduleEvent, game_date: date
) -> list[tuple[PitcherGameRef, Line | None]]:
    """Each probable starter once, with the opponent and home/away taken from its game."""
    seen: set[tuple[str, int]] = set()
    out: list[tuple[PitcherGameRef, Line | None]] = []
    for i, game in enumerate(event["games"]):
        home, away = game["home_team"], game["away_team"]
        if home == away:
            raise InvalidMessage(f"$.games[{i}]: home_team and away_team are both {home!r}")
        for j, starter in enumerate(game["starters"]):
            team = starter["team"]
            if team not in (home, away):
                raise InvalidMessage(
                    f"$.games[{i}].starters[{j}].team = {team!r} plays in neither "
                    f"{home!r} nor {away!r}"
                )
            key = (game["game_id"], int(starter["pitcher_id"]))
            if key in seen:
                continue
            seen.add(key)
            ref = PitcherGameRef(
                game_id=game["game_id"],
                game_date=game_date,
                pitcher_id=int(starter["pitcher_id"]),
                team=team,
                opponent=away if team == home else home,
                is_home=team == home,
                game_pk=game.get("game_pk"),
                pitcher_name=starter.get("pitcher_name"),
                injured_list=starter.get("injured_list"),
                injured_list_unknown=bool(starter.get("injured_list_unknown")),
                game_time=game.get("game_time"),
            )
            raw_line = starter.get("line")
            line = (
                None
                if not raw_line
                else Line(
                    line=float(raw_line["line"]),
                    over_odds=raw_line.get("over_odds"),
                    under_odds=raw_line.get("under_odds"),
                    book=raw_line.get("book"),
                    snapshot_at=raw_line.get("snapshot_at"),
                )
            )
            out.append((ref, line))
    return out
