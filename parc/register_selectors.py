"""Reads of the registration form: brands and models to suggest while typing.

Suggestions come from the organisation's latest registrations (a range of the index
``device_owner_id``), so their cost does not grow with the pool: a million devices cost the
same as a thousand, and recent donations weigh most.
"""

from django.db.models import Count, Max

from .models import Device

# How many of the latest registrations the suggestions are drawn from, and how many are shown.
RECENT_WINDOW = 2000
SUGGESTIONS = 50


def _recent(organisation_ids):
    recent_ids = (
        Device.objects.filter(owner_id__in=organisation_ids)
        .order_by("-id")
        .values("id")[:RECENT_WINDOW]
    )
    return Device.objects.filter(pk__in=recent_ids).order_by()


def brand_suggestions(organisation_ids) -> list[str]:
    """The most frequent brands among the latest registrations, most frequent first."""
    rows = (
        _recent(organisation_ids)
        .exclude(brand="")
        .values("brand")
        .annotate(n=Count("id"))
        .order_by("-n", "brand")[:SUGGESTIONS]
    )
    return [row["brand"] for row in rows]


def model_suggestions(organisation_ids) -> list[dict]:
    """The most frequent models, each with a brand it was registered under (a hint)."""
    rows = (
        _recent(organisation_ids)
        .exclude(model="")
        .values("model")
        .annotate(n=Count("id"), brand=Max("brand"))
        .order_by("-n", "model")[:SUGGESTIONS]
    )
    return [{"model": row["model"], "brand": row["brand"]} for row in rows]
