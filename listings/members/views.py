"""The member home page (/me/): thin, one selector."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from listings.members.selectors import member_home as member_home_data


@login_required
def member_home(request):
    return render(request, "members/home.html", {"home": member_home_data(user=request.user)})
