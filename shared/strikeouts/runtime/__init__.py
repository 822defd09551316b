"""The composition root: the pipeline wired to the warehouse, the model store and real data."""
