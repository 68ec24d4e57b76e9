"""Escrow pages: the split is shown to both sides before funding; outsiders get 404; statements and the
reconciliation export CSV; operators only for the desk, exchange statement and reconciliation."""
from __future__ import annotations

from django.urls import reverse


def test_both_sides_see_the_split_before_funding_and_outsiders_do_not(client, escrow, holder, demander, outsider):
    url = reverse("settlement:escrow", args=[escrow.deal_id])
    for user in (holder, demander):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "¥450,000.00" in page and "¥6,750.00" in page and "¥443,250.00" in page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(reverse("settlement:escrow-action", args=[escrow.deal_id, "dispute"]),
                       {"reason": "x"}).status_code == 404


def test_the_buyer_funds_from_the_page_and_a_seller_cannot(client, escrow, holder, demander):
    m = escrow.milestones.get(position=1)
    url = reverse("settlement:escrow-action", args=[escrow.deal_id, "fund"])
    client.force_login(holder)
    assert client.post(url, {"milestone": m.pk, "rail": "bank"}).status_code == 403
    client.force_login(demander)
    response = client.post(url, {"milestone": m.pk, "rail": "bank"}, follow=True)
    m.refresh_from_db()
    assert m.funding_reference and m.funding_reference in response.content.decode()


def test_statements_and_reconciliation_pages_and_csv(client, escrow, demander, demand_org, holder_org, operator):
    client.force_login(demander)
    assert client.get(reverse("settlement:statement", args=[demand_org.pk])).status_code == 200
    assert client.get(reverse("settlement:statement", args=[holder_org.pk])).status_code == 404
    for name in ("settlement:statement-exchange", "settlement:reconciliation", "settlement:operator"):
        assert client.get(reverse(name)).status_code == 403
    client.force_login(operator)
    csv = client.get(reverse("settlement:reconciliation") + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0] == "rail,reference,kind,problem,ledger_amount,rail_amount"
    statement = client.get(reverse("settlement:statement", args=[demand_org.pk]) + "?format=csv")
    assert statement.content.decode("utf-8-sig").startswith("date,transaction,kind")
    assert client.get(reverse("settlement:operator")).status_code == 200
