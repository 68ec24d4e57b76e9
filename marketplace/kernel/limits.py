"""Caps on how much one request may ask the exchange to store or compute: text lengths, list lengths and counts
per user. Services enforce them as named rule errors; forms and serializers repeat them so a page or an API client
hears the same limit before any work is done (issue 8: an 808,890-character problem cost seconds per match refresh)."""
from __future__ import annotations

#: one-line titles and names
TITLE_MAX = 200
#: free text a person writes: a demand's problem, a listing's description
TEXT_MAX = 5000
#: IPC codes of one demand
IPC_CODES_MAX = 20
#: saved searches one user may keep
SAVED_SEARCHES_PER_USER = 50
#: seconds between two match refreshes of one demand asked for by people (the automatic ones are not counted)
MATCH_REFRESH_INTERVAL_SECONDS = 60


def too_long_message(limit: int) -> str:
    return f"内容过长：最多 {limit} 个字符 / too long: at most {limit} characters"
