"""Prediction systems, their count distributions and the store that keeps their trained models."""
