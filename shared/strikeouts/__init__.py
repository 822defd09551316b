"""MLB pitcher-strikeout predictions: several systems, an ensemble, compared with the line."""

__version__ = "0.1.0"
