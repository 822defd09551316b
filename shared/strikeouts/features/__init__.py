"""Point-in-time features: a superset declared once, built as of the day before each game."""

from strikeouts.features.build import build_features, build_prepared
from strikeouts.features.catalog import (
    FEATURE_SETS,
    SPECS,
    SUPERSET,
    V1_6_ROLLING,
    V1_BASELINE,
    FeatureSet,
    FeatureSpec,
    coverage_column,
    feature_set,
)
from strikeouts.features.history import History
from strikeouts.features.prepared import PreparedHistory, prepare_history
from strikeouts.features.targets import TargetError, start_targets

__all__ = [
    "FEATURE_SETS",
    "SPECS",
    "SUPERSET",
    "V1_6_ROLLING",
    "V1_BASELINE",
    "FeatureSet",
    "FeatureSpec",
    "History",
    "PreparedHistory",
    "TargetError",
    "build_features",
    "build_prepared",
    "coverage_column",
    "feature_set",
    "prepare_history",
    "start_targets",
]
