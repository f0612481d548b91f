"""The right device for each person (issue 15): the profile an assessment recommends, needs
recorded only with consent, the allocation suggestion ranked and explained, on hand-built
pools."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers.models import Assessment, AssessmentLevel
from core.errors import InvalidInput
from parc.models import Adaptation, UsageProfile
from prets import services
from prets.matching import ensure_profile_rules, recommended_profile, suggest
from prets.models import Allocation, Need
from tests.parc.factories import DeviceFactory

from .conftest import days

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture(autouse=True)
def seeded():
    """Seeded by migrations; again after a transactional test's flush."""
    ensure_profile_rules()


def profile(code):
    return UsageProfile.objects.get(code=code)


def assess(household, staff, levels, on=None, moment="before"):
    assessment = Assessment.objects.create(
        household=household,
        organisation=household.organisation,
        moment=moment,
        assessed_on=on or timezone.localdate(),
        assessed_by=staff,
    )
    for domain, level in zip("12345", levels, strict=False):
        AssessmentLevel.objects.create(assessment=assessment, domain=domain, level=level)
    return assessment


# --- the recommended profile ------------------------------------------------------------------


def test_seeded_profiles_and_rules():
    assert list(UsageProfile.objects.values_list("code", "level")) == [
        ("simplifie", 1),
        ("essentiel", 2),
        ("complet", 3),
    ]


@pytest.mark.parametrize(
    ("levels", "expected", "average"),
    [
        ((1, 1, 1, 2, 1), "simplifie", "1.20"),
        ((1, 2, 1, 2, 2), "essentiel", "1.60"),  # above 1.50: the second rule
        ((2, 3, 2, 3, 2), "essentiel", "2.40"),
        ((3, 3, 3, 2, 3), "complet", "2.80"),
    ],
)
def test_the_latest_assessment_maps_to_a_profile(household, prescriber, levels, expected, average):
    # An older assessment does not count: the latest one does.
    assess(household, prescriber, (3, 3, 3, 3, 3), on=timezone.localdate() - days(90))
    assess(household, prescriber, levels)
    found = recommended_profile(household.pk)
    assert found.profile.code == expected
    assert str(found.average) == average
    assert "Évaluation d'autonomie du" in found.sentence
    assert found.reason in found.sentence


def test_no_assessment_no_recommendation(household):
    assert recommended_profile(household.pk) is None


# --- needs with consent -----------------------------------------------------------------------


def test_needs_without_consent_are_refused(household, prescriber, refurbisher, eligibility):
    with pytest.raises(InvalidInput) as refused:
        services.request_create(
            prescriber,
            household=household,
            refurbisher=refurbisher,
            device_kind="laptop",
            purpose="procedures",
            mode="loan",
            eligibility=eligibility,
            needs=[Need.LARGE_SCREEN],
        )
    assert refused.value.code == "needs_without_consent"
    assert refused.value.field == "needs_consent"


def test_needs_with_consent_are_recorded(household, prescriber, refurbisher, eligibility):
    request = services.request_create(
        prescriber,
        household=household,
        refurbisher=refurbisher,
        device_kind="laptop",
        purpose="procedures",
        mode="loan",
        eligibility=eligibility,
        needs=[Need.LARGE_SCREEN, Need.SCREEN_READER],
        needs_consent=True,
    )
    assert request.needs == Need.LARGE_SCREEN | Need.SCREEN_READER
    assert request.needs_consent_at is not None
    assert request.need_labels == ["grand écran", "lecteur d'écran"]


def test_request_form_refuses_needs_without_consent(client, household, prescriber, refurbisher):
    client.force_login(prescriber)
    response = client.post(
        reverse("prets:request_create", args=[household.pk]),
        {
            "refurbisher": refurbisher.pk,
            "device_kind": "laptop",
            "purpose": "procedures",
            "mode": "loan",
            "urgency": 0,
            "needs": [Need.WEBCAM],
            "draft": "1",
        },
    )
    assert response.status_code == 200
    assert "accord du foyer" in response.content.decode()


def test_request_form_shows_the_recommendation(client, household, prescriber):
    assess(household, prescriber, (1, 1, 1, 1, 1))
    client.force_login(prescriber)
    page = client.get(reverse("prets:request_create", args=[household.pk])).content.decode()
    assert "Profil conseillé : « Simplifié »" in page
    assert "grand écran" in page


# --- the ranking and its explanation ----------------------------------------------------------


@pytest.fixture
def pool(refurbisher):
    """Five ready laptops and a tablet, built by hand."""
    now = timezone.now()
    simple = profile("simplifie")
    full = profile("complet")
    return {
        # Best grade, oldest, but no profile and no adaptation.
        "plain_a": DeviceFactory(
            owner=refurbisher, state="ready", grade="A", state_changed_at=now - days(60)
        ),
        # The simplified profile with a large screen and a screen reader.
        "simple_fit": DeviceFactory(
            owner=refurbisher,
            state="ready",
            grade="C",
            usage_profile=simple,
            adaptations=Adaptation.LARGE_SCREEN | Adaptation.ORCA,
            state_changed_at=now - days(3),
        ),
        # The simplified profile, large screen only.
        "simple_half": DeviceFactory(
            owner=refurbisher,
            state="ready",
            grade="A",
            usage_profile=simple,
            adaptations=Adaptation.LARGE_SCREEN,
            state_changed_at=now - days(10),
        ),
        # Meets both needs but the full profile.
        "full_fit": DeviceFactory(
            owner=refurbisher,
            state="ready",
            grade="B",
            usage_profile=full,
            adaptations=Adaptation.LARGE_SCREEN | Adaptation.NVDA,
            state_changed_at=now - days(20),
        ),
        "tablet": DeviceFactory(
            owner=refurbisher,
            state="ready",
            grade="A",
            kind="tablet",
            usage_profile=simple,
            adaptations=Adaptation.LARGE_SCREEN | Adaptation.ORCA,
        ),
    }


def test_ranking_by_needs_then_profile_then_grade_then_age(
    make_request, household, prescriber, pool
):
    assess(household, prescriber, (1, 1, 2, 1, 1))  # 1.2: simplified
    request = make_request(
        state="approved", device_kind="laptop", needs=Need.LARGE_SCREEN | Need.SCREEN_READER
    )
    found = suggest(request, recommendation=recommended_profile(household.pk))
    order = [s.device for s in found]
    assert order == [pool["simple_fit"], pool["full_fit"], pool["simple_half"], pool["plain_a"]]
    first, second, third, fourth = found
    today = timezone.localdate()
    assert first.explanation == (
        "Rang 1 : Ordinateur portable demandé, profil « Simplifié », celui conseillé, "
        "répond aux 2 besoins déclarés (grand écran, lecteur d'écran), état esthétique "
        f"{pool['simple_fit'].get_grade_display()}, disponible depuis 3 jours."
    )
    assert "au lieu de « Simplifié » conseillé" in second.explanation
    assert "ne répond pas à : lecteur d'écran" in third.explanation
    assert "profil d'usage non renseigné" in fourth.explanation
    assert (today - dt.timedelta(days=60)).year  # the age is the stock time, in days
    assert "disponible depuis 60 jours" in fourth.explanation


def test_without_needs_or_assessment_best_grade_then_oldest(make_request, pool):
    request = make_request(state="approved", device_kind="laptop")
    found = [s.device for s in suggest(request)]
    # No assessment: no profile gap is known, every device counts alike on the profile.
    assert found == [pool["plain_a"], pool["simple_half"], pool["full_fit"], pool["simple_fit"]]


def test_the_simplified_interface_is_met_by_the_profile(make_request, pool):
    request = make_request(state="approved", device_kind="laptop", needs=Need.SIMPLIFIED)
    found = suggest(request)
    assert {s.device for s in found[:2]} == {pool["simple_fit"], pool["simple_half"]}
    assert all(not s.unmet for s in found[:2])
    assert found[2].unmet == ["interface simplifiée"]


def test_a_device_meeting_the_needs_is_found_beyond_the_first_slice(make_request, refurbisher):
    """Thirty plain devices of better grade and older come first in the index: the one
    meeting the needs is still read (its own slice) and ranked first."""
    old = timezone.now() - days(100)
    for _ in range(30):
        DeviceFactory(owner=refurbisher, state="ready", grade="A", state_changed_at=old)
    fit = DeviceFactory(owner=refurbisher, state="ready", grade="C", adaptations=Adaptation.WEBCAM)
    request = make_request(state="approved", device_kind="laptop", needs=Need.WEBCAM)
    assert suggest(request)[0].device == fit


def test_allocation_records_the_needs_met(make_request, staff, pool):
    request = make_request(
        state="approved", device_kind="laptop", needs=Need.LARGE_SCREEN | Need.SCREEN_READER
    )
    services.device_allocate(request.pk, pool["simple_half"].pk, staff)
    allocation = Allocation.objects.get(request=request)
    assert allocation.needs_met == Need.LARGE_SCREEN


def test_allocate_page_explains_each_rank_in_few_queries(
    client, staff, make_request, household, prescriber, pool, django_assert_max_num_queries
):
    assess(household, prescriber, (1, 1, 1, 1, 1))
    request = make_request(state="approved", device_kind="laptop", needs=Need.LARGE_SCREEN)
    client.force_login(staff)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("prets:allocate", args=[request.pk])).content.decode()
    assert "Rang 1 : Ordinateur portable demandé" in page
    assert "Profil conseillé : « Simplifié »" in page


def test_needs_figures_for_the_team_never_for_funders(
    client, make_request, staff, funder, refurbisher, pool
):
    from prets.models import AllocationStatus
    from rapports.models import Funding

    request = make_request(state="approved", device_kind="laptop", needs=Need.LARGE_SCREEN)
    services.device_allocate(request.pk, pool["simple_half"].pk, staff)
    Allocation.objects.filter(request=request).update(
        status=AllocationStatus.HANDED_OVER, ended_at=timezone.now()
    )
    Funding.objects.create(
        funder=funder.memberships.get().organisation, name="Aide", refurbisher=refurbisher
    )
    url = reverse("rapports:loan_report")
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "Besoins d'usage des foyers équipés" in page
    assert "Grand écran" in page
    client.force_login(funder)
    page = client.get(url).content.decode()
    assert "Besoins d" not in page and "Grand écran" not in page
