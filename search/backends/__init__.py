"""Search engines behind ``search.interface.SearchBackend``: ``embedded`` (SQLite FTS5) and ``elasticsearch``."""
