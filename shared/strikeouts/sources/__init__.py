"""Live sources: the MLB Stats API and The Odds API behind small ports (HTTP adapters only)."""
