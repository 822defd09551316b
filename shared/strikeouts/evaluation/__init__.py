"""Scoring predictions against outcomes and sportsbook lines: odds, metrics, calibration."""
