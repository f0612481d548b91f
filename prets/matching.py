"""The right device for each person (issue 15): the profile an autonomy assessment
recommends, and the allocation suggestion ranked by kind, profile fit, declared needs, grade
and age in stock, each rank explained in one French sentence.

Reads only: ateliers' assessments, parc's devices and profiles, the coordination's
``ProfileRule`` table. A bounded number of queries whatever the pool: the candidates are
read in three index-ordered slices (the devices meeting every need, those of the
recommended profile, the usual best-grade-then-oldest range of the pick index), merged and
ranked in Python.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ateliers.models import Assessment, AssessmentLevel
from parc.models import Device, State, UsageProfile, ensure_usage_profiles

from .models import NEED_MET_BY, SIMPLIFIED_PROFILE_LEVEL, DeviceRequest, Need, ProfileRule

DEFAULT_RULES = (
    (
        Decimal("1.50"),
        "simplifie",
        "Avec aide dans la plupart des domaines : une interface simple évite de se perdre.",
    ),
    (
        Decimal("2.50"),
        "essentiel",
        "Sans aide pour l'essentiel : les usages courants, sans logiciels superflus.",
    ),
    (Decimal("3.00"), "complet", "En autonomie : l'appareil complet, avec ses logiciels."),
)


def ensure_profile_rules() -> None:
    """The profiles and the rules migrations seed (again after a test database flush)."""
    ensure_usage_profiles()
    for bound, code, reason in DEFAULT_RULES:
        ProfileRule.objects.get_or_create(
            up_to_average=bound,
            defaults={"profile": UsageProfile.objects.get(code=code), "reason": reason},
        )


SLICE = 20
SUGGESTION_LIMIT = 10


@dataclass(frozen=True)
class Recommendation:
    profile: UsageProfile
    reason: str
    average: Decimal
    assessed_on: dt.date

    @property
    def sentence(self) -> str:
        return _(
            "Profil conseillé : « %(profile)s ». Évaluation d'autonomie du %(day)s, "
            "moyenne %(avg)s sur 3. %(reason)s"
        ) % {
            "profile": self.profile.label,
            "day": self.assessed_on.strftime("%d/%m/%Y"),
            "avg": f"{self.average:.1f}".replace(".", ","),
            "reason": self.reason,
        }


def recommended_profile(household_id: int) -> Recommendation | None:
    """The profile the household's latest autonomy assessment maps to, or None (no
    assessment, or no rule). Two queries."""
    latest = (
        Assessment.objects.filter(household_id=household_id)
        .order_by("-assessed_on", "-id")
        .values("pk", "assessed_on")
        .first()
    )
    if latest is None:
        return None
    average = AssessmentLevel.objects.filter(assessment_id=latest["pk"]).aggregate(a=Avg("level"))[
        "a"
    ]
    if average is None:
        return None
    average = Decimal(str(average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    rule = (
        ProfileRule.objects.filter(up_to_average__gte=average)
        .select_related("profile")
        .order_by("up_to_average")
        .first()
    )
    if rule is None:
        return None
    return Recommendation(rule.profile, rule.reason, average, latest["assessed_on"])


def needs_met(needs: int, device: Device, profile_level: int | None) -> int:
    """The needs (bit mask) this device meets."""
    met = 0
    for need in Need:
        if not needs & need:
            continue
        if need == Need.SIMPLIFIED:
            if profile_level == SIMPLIFIED_PROFILE_LEVEL:
                met |= need
        elif device.adaptations & NEED_MET_BY[need]:
            met |= need
    return met


@dataclass
class Suggestion:
    device: Device
    rank: int = 0
    met: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    profile_gap: int | None = None  # |device level - recommended level|, None if unknown
    explanation: str = ""

    def sort_key(self):
        gap = 1 if self.profile_gap is None else self.profile_gap
        return (
            len(self.unmet),
            gap,
            self.device.grade or "Z",
            self.device.state_changed_at,
            self.device.pk,
        )


def _needs_filter(needs: int) -> Q:
    """Devices meeting every need (the simplified interface through the profile level)."""
    condition = Q()
    for need in Need:
        if not needs & need:
            continue
        if need == Need.SIMPLIFIED:
            condition &= Q(usage_profile__level=SIMPLIFIED_PROFILE_LEVEL)
        else:
            condition &= Q(**{f"fit_{int(need)}__gt": 0})
    return condition


def _with_need_aliases(queryset, needs: int):
    for need in Need:
        if needs & need and need != Need.SIMPLIFIED:
            queryset = queryset.alias(
                **{f"fit_{int(need)}": F("adaptations").bitand(NEED_MET_BY[need])}
            )
    return queryset


def suggest(
    request: DeviceRequest,
    *,
    recommendation: Recommendation | None = None,
    limit: int = SUGGESTION_LIMIT,
    today: dt.date | None = None,
) -> list[Suggestion]:
    """Ready devices of the association for this request, best first, each explained."""
    today = today or timezone.localdate()
    base = (
        Device.objects.filter(
            owner_id=request.refurbisher_id, state=State.READY, kind=request.device_kind
        )
        .select_related("location", "usage_profile")
        .order_by("grade", "state_changed_at", "id")
    )
    candidates: dict[int, Device] = {}
    slices = [base]
    if request.needs:
        slices.insert(
            0, _with_need_aliases(base, request.needs).filter(_needs_filter(request.needs))
        )
    if recommendation is not None:
        slices.insert(0, base.filter(usage_profile__level=recommendation.profile.level))
    for queryset in slices:
        for device in queryset[:SLICE]:
            candidates.setdefault(device.pk, device)
    suggestions = []
    for device in candidates.values():
        level = device.usage_profile.level if device.usage_profile else None
        met = needs_met(request.needs, device, level)
        suggestion = Suggestion(
            device=device,
            met=[str(n.label) for n in Need if met & n],
            unmet=[str(n.label) for n in Need if request.needs & n and not met & n],
        )
        if recommendation is not None and level is not None:
            suggestion.profile_gap = abs(level - recommendation.profile.level)
        suggestions.append(suggestion)
    suggestions.sort(key=Suggestion.sort_key)
    suggestions = suggestions[:limit]
    for rank, suggestion in enumerate(suggestions, start=1):
        suggestion.rank = rank
        suggestion.explanation = explain(suggestion, request, recommendation, today)
    return suggestions


def explain(
    suggestion: Suggestion,
    request: DeviceRequest,
    recommendation: Recommendation | None,
    today: dt.date,
) -> str:
    device = suggestion.device
    parts = [_("%(kind)s demandé") % {"kind": device.get_kind_display().capitalize()}]
    if device.usage_profile is None:
        parts.append(_("profil d'usage non renseigné"))
    elif recommendation is None:
        parts.append(
            _("profil « %(p)s » (pas d'évaluation d'autonomie)") % {"p": device.usage_profile.label}
        )
    elif suggestion.profile_gap == 0:
        parts.append(_("profil « %(p)s », celui conseillé") % {"p": device.usage_profile.label})
    else:
        parts.append(
            _("profil « %(p)s » au lieu de « %(r)s » conseillé")
            % {"p": device.usage_profile.label, "r": recommendation.profile.label}
        )
    if request.needs:
        if not suggestion.unmet:
            parts.append(
                ngettext(
                    "répond au besoin déclaré (%(list)s)",
                    "répond aux %(n)d besoins déclarés (%(list)s)",
                    len(suggestion.met),
                )
                % {"n": len(suggestion.met), "list": ", ".join(suggestion.met)}
            )
        else:
            parts.append(_("ne répond pas à : %(list)s") % {"list": ", ".join(suggestion.unmet)})
    if device.grade:
        parts.append(_("état esthétique %(g)s") % {"g": device.get_grade_display()})
    days = (today - timezone.localtime(device.state_changed_at).date()).days
    parts.append(
        ngettext("disponible depuis %(n)d jour", "disponible depuis %(n)d jours", days)
        % {"n": days}
    )
    return _("Rang %(rank)d : %(parts)s.") % {"rank": suggestion.rank, "parts": ", ".join(parts)}
