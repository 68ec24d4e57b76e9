"""What the catalogue announces to the domains built on it (they subscribe; the catalogue imports none of them).

- ``patents_changed(patent_ids)``: rows whose indexed facts changed; sent by any writer, after which search
  re-indexes them once the transaction commits.
- ``patent_left_force(patent, reason, by)``: the patent's legal status left force (lapsed, invalidated …);
  trading suspends its public listings and tells the parties.
- ``patent_encumbered(patent, encumbrance, reason, by)``: a pledge or preservation was registered;
  trading suspends its public listings.
- ``encumbrance_released(encumbrance, by)``: a restriction was lifted; trading tells the organisations whose
  listings it suspended that they may ask for reinstatement.
"""
from django.dispatch import Signal

patents_changed = Signal()
patent_left_force = Signal()
patent_encumbered = Signal()
encumbrance_released = Signal()


def announce_patents_changed(patent_ids: object) -> None:
    """Send ``patents_changed`` with a concrete list of ids (querysets are evaluated now, inside the transaction)."""
    ids = [int(pk) for pk in patent_ids]  # type: ignore[attr-defined]
    if ids:
        patents_changed.send(sender=None, patent_ids=ids)
