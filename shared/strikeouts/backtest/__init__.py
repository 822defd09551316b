"""Walk-forward backtests: every prediction from a model trained only on earlier games."""
