"""The ``listings`` app: the catalogue, trading, demands, matching and deals domains under one app label."""
