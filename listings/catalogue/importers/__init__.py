"""File importers for the zone patent database (see docs/importing.md)."""
