"""Stored match explanations hold codes and numbers only: the bilingual sentences of format 1 become codes."""
from django.db import migrations

#: the keys format 2 adds, with the value a format-1 row stands for
NEW_KEYS = {"term_weights": {}, "semantic": None, "ipc_predicted": [], "pending": False}
PRICE_BOUND = {"over": "budget_max", "below": "budget_min", "within": "budget_max", "currency_differs": "budget_max"}


def to_codes(explanation: dict, *, listing, demand) -> dict:
    """One format-1 explanation in format 2 (already format 2: unchanged)."""
    if not isinstance(explanation, dict) or explanation.get("version", 1) >= 2:
        return explanation
    out = {key: value for key, value in explanation.items()}
    out["version"] = 2
    for key, value in NEW_KEYS.items():
        out.setdefault(key, value)
    out["ipc_source"] = "declared" if explanation.get("ipc_level") else None
    out["parts"] = [{k: v for k, v in part.items() if k != "label"} for part in explanation.get("parts", [])]
    price_fit = {k: v for k, v in (explanation.get("price_fit") or {}).items() if k != "text"}
    status = price_fit.get("status")
    if listing is not None and listing.price_amount is not None and status not in (None, "unlisted", "negotiable"):
        price_fit["price"] = [int(listing.price_amount), listing.price_currency or "CNY"]
    bound_field = PRICE_BOUND.get(status or "")
    if bound_field:
        amount = getattr(demand, bound_field) or demand.budget_max or demand.budget_min
        if amount is not None:
            price_fit["bound"] = [int(amount), demand.currency or "CNY"]
    out["price_fit"] = price_fit
    deal_fit = {k: v for k, v in (explanation.get("deal_type_fit") or {}).items() if k != "text"}
    deal_fit["deal_type"] = listing.deal_type if listing is not None else None
    out["deal_type_fit"] = deal_fit
    return out


def forward(apps, schema_editor):
    DemandMatch = apps.get_model("listings", "DemandMatch")
    rows = DemandMatch.objects.select_related("listing", "demand").order_by("pk")
    for row in rows.iterator(chunk_size=500):
        updated = to_codes(row.explanation, listing=row.listing, demand=row.demand)
        if updated != row.explanation:
            row.explanation = updated
            row.save(update_fields=["explanation"])


class Migration(migrations.Migration):
    dependencies = [("listings", "0010_merge_0008_deals_0009_patentees")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
