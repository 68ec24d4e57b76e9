"""Matching demands to patents and listings: the pure scorer, candidate gathering, stored matches, saved searches."""
