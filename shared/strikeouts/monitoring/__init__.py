"""Monitoring: views over the predictions and their grades, checks, alerts and the report."""
