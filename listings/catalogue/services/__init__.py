"""Writes to the zone patent database. Views, commands and the importer call these; selectors read."""
