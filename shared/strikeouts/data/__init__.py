"""Raw public data: locating files by kind, reading them, and building canonical tables."""
