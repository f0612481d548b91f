"""Pages: who sees what (a table of role × page × expected answer), forged posts, query
budgets, and the forms' refusals in French."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from prets import services
from prets.models import (
    Allocation,
    DeviceRequest,
    Loan,
    LoanEvent,
    LoanFollowUp,
    RequestEvent,
    RequestState,
)
from tests.acteurs.factories import HouseholdFactory, MembershipFactory, UserFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def world(make_request, staff, ready_device, household):
    """A loan and a sale from the same CCAS household, with the association."""
    loan_request = make_request(state="approved")
    services.device_allocate(loan_request.pk, ready_device().pk, staff)
    loan = services.loan_start(loan_request.pk, staff, deposit_amount=Decimal("20"))
    sale_request = make_request(state="approved", mode="purchase")
    services.device_allocate(sale_request.pk, ready_device().pk, staff)
    sale = services.sale_create(sale_request.pk, staff, price=Decimal("60"), payment_method="cash")
    waiting = make_request(state="submitted")
    approved = make_request(state="approved")
    to_lend = make_request(state="approved")
    services.device_allocate(to_lend.pk, ready_device().pk, staff)
    to_sell = make_request(state="approved", mode="purchase")
    services.device_allocate(to_sell.pk, ready_device().pk, staff)
    draft = make_request(state="draft", consent_informed=False)
    return {
        "loan": loan,
        "sale": sale,
        "request": waiting,
        "approved": approved,
        "to_lend": to_lend,
        "to_sell": to_sell,
        "draft": draft,
        "household": household,
    }


PAGES = {
    "requests": lambda w: reverse("prets:requests"),
    "queue": lambda w: reverse("prets:queue"),
    "request": lambda w: reverse("prets:request", args=[w["request"].pk]),
    "allocate": lambda w: reverse("prets:allocate", args=[w["approved"].pk]),
    "loans": lambda w: reverse("prets:loans"),
    "loan": lambda w: reverse("prets:loan", args=[w["loan"].pk]),
    "loan_return": lambda w: reverse("prets:loan_action", args=[w["loan"].pk, "retour"]),
    "agreement": lambda w: reverse("prets:agreement", args=[w["loan"].pk]),
    "receipt": lambda w: reverse("prets:receipt", args=[w["sale"].pk]),
    "household": lambda w: reverse("prets:household", args=[w["household"].pk]),
    "eligibility": lambda w: reverse("prets:eligibility_add", args=[w["household"].pk]),
    "request_create": lambda w: reverse("prets:request_create", args=[w["household"].pk]),
    "export": lambda w: reverse("household_export", args=[w["household"].pk]),
    "erase": lambda w: reverse("household_erase", args=[w["household"].pk]),
    "loan_start": lambda w: reverse("prets:loan_start", args=[w["to_lend"].pk]),
    "sale_create": lambda w: reverse("prets:sale_create", args=[w["to_sell"].pk]),
    "loan_renew": lambda w: reverse("prets:loan_action", args=[w["loan"].pk, "renouveler"]),
    "loan_transfer": lambda w: reverse("prets:loan_action", args=[w["loan"].pk, "ceder"]),
    "loan_lost": lambda w: reverse("prets:loan_action", args=[w["loan"].pk, "perte"]),
}

# role → {page: expected status}; a page not listed for a role answers 404.
EXPECTED = {
    "prescriber": {
        "requests": 200,
        "queue": 403,
        "request": 200,
        "allocate": 403,
        "loans": 200,
        "loan": 200,
        "loan_return": 403,
        "agreement": 200,
        "receipt": 200,
        "household": 200,
        "eligibility": 200,
        "request_create": 200,
        "export": 200,
        "erase": 200,
        # The household's side follows the loan; only the association hands over and closes.
        "loan_start": 403,
        "sale_create": 403,
        "loan_renew": 403,
        "loan_transfer": 403,
        "loan_lost": 403,
    },
    "staff": {
        "requests": 200,  # staff may prescribe for their own organisation's households
        "queue": 200,
        "request": 200,
        "allocate": 200,
        "loans": 200,
        "loan": 200,
        "loan_return": 200,
        "agreement": 200,
        "receipt": 200,
        "household": 200,  # the household of a request addressed to them
        "loan_start": 200,
        "sale_create": 200,
        "loan_renew": 200,
        "loan_transfer": 200,
        "loan_lost": 200,
    },
    "other_prescriber": {"requests": 200, "queue": 403, "loans": 200},
    "other_staff": {"requests": 200, "queue": 200, "loans": 200},
    "technician": {"requests": 403, "queue": 403, "loans": 403},
    "funder": {"requests": 403, "queue": 403, "loans": 403},
    # An admin of the coordination has empty lists: no household is theirs.
    "coordinator": {"requests": 200, "queue": 200, "loans": 200},
}

# Lists where the CCAS household appears; everywhere else its name must not.
SEES_THE_HOUSEHOLD = {
    ("prescriber", "requests"),
    ("prescriber", "loans"),
    ("staff", "queue"),
    ("staff", "loans"),
}

CASES = [(role, page) for role in EXPECTED for page in PAGES]


@pytest.mark.parametrize(("role", "page"), CASES)
def test_scoping(request, client, world, role, page):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.get(PAGES[page](world))
    expected = EXPECTED[role].get(page, 404)
    assert response.status_code == expected, f"{role} on {page}"
    if expected == 200 and page in ("requests", "queue", "loans"):
        body = response.content.decode()
        assert ("Mme Martin" in body) is ((role, page) in SEES_THE_HOUSEHOLD), f"{role} on {page}"


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_users_are_sent_to_login(client, world, page):
    response = client.get(PAGES[page](world))
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]


def test_nav_links_follow_the_roles(client, prescriber, staff, technician):
    client.force_login(prescriber)
    body = client.get(reverse("prets:requests")).content.decode()
    assert reverse("prets:requests") in body and reverse("prets:queue") not in body
    client.force_login(staff)
    body = client.get(reverse("prets:queue")).content.decode()
    assert reverse("prets:queue") in body and reverse("prets:loans") in body
    client.force_login(technician)
    body = client.get(reverse("parc:list")).content.decode()
    assert reverse("prets:loans") not in body


# --- forged posts: refused, nothing changed -------------------------------------------------


@pytest.mark.parametrize("action", ["envoyer", "accepter", "refuser", "annuler"])
def test_another_organisation_cannot_post_on_a_request(client, world, other_prescriber, action):
    client.force_login(other_prescriber)
    target = world["request"]
    response = client.post(
        reverse("prets:request_action", args=[target.pk, action]),
        {"expected_state": "submitted", "reason": "x"},
    )
    assert response.status_code == 404
    assert DeviceRequest.objects.get(pk=target.pk).state == RequestState.SUBMITTED


# The actions that exist only as a POST, forged by every role that may not run them: outsiders
# get a 404 (the object does not exist for them), the household's side a French refusal; the
# database is left exactly as it was.
POSTS = {
    "consent": (lambda w: reverse("prets:request_consent", args=[w["draft"].pk]), {}),
    "release": (lambda w: reverse("prets:release", args=[w["to_lend"].pk]), {"note": "x"}),
    "follow_up": (
        lambda w: reverse("prets:follow_up", args=[w["loan"].pk]),
        {"kind": "call", "on": "today", "note": "forgé"},
    ),
    "deposit": (
        lambda w: reverse("prets:loan_date", args=[w["loan"].pk, "caution-versee"]),
        {"day": "today"},
    ),
    "agreement": (
        lambda w: reverse("prets:loan_date", args=[w["loan"].pk, "convention-signee"]),
        {"day": "today"},
    ),
    "return": (
        lambda w: reverse("prets:loan_action", args=[w["loan"].pk, "retour"]),
        {"returned_on": "today", "complete": "on"},
    ),
    "cancel": (
        lambda w: reverse("prets:request_action", args=[w["request"].pk, "annuler"]),
        {"expected_state": "submitted", "note": "forgé"},
    ),
}

# role → {action: expected status}; an action not listed answers 404.
POST_EXPECTED = {
    # The prescriber may tick consent, note a follow-up and cancel (their own side): these are
    # checked elsewhere. Here: the association's actions, refused with a message or a 403.
    "prescriber": {"release": 302, "deposit": 302, "agreement": 302, "return": 403},
    "other_prescriber": {},
    "other_staff": {},
    "technician": {},
    "funder": {},
    "coordinator": {},
}

POST_CASES = [
    (role, action)
    for role in POST_EXPECTED
    for action in POSTS
    if not (role == "prescriber" and action in ("consent", "follow_up", "cancel"))
]


def _snapshot(world):
    loan = Loan.objects.get(pk=world["loan"].pk)
    return (
        loan.state,
        loan.deposit_paid_on,
        loan.agreement_signed_on,
        LoanFollowUp.objects.count(),
        LoanEvent.objects.count(),
        RequestEvent.objects.count(),
        Allocation.objects.filter(status="active").count(),
        list(DeviceRequest.objects.order_by("pk").values_list("state", "consent_informed")),
    )


@pytest.mark.parametrize(("role", "action"), POST_CASES)
def test_forged_posts_change_nothing(request, client, world, role, action):
    client.force_login(request.getfixturevalue(role))
    url, data = POSTS[action]
    today = timezone.localdate().isoformat()
    data = {key: today if value == "today" else value for key, value in data.items()}
    before = _snapshot(world)
    response = client.post(url(world), data)
    assert response.status_code == POST_EXPECTED[role].get(action, 404), f"{role} {action}"
    assert _snapshot(world) == before, f"{role} {action}"


def test_another_association_cannot_allocate_or_close(client, world, other_staff, ready_device):
    client.force_login(other_staff)
    response = client.post(
        reverse("prets:allocate", args=[world["approved"].pk]), {"device": ready_device().pk}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("prets:loan_action", args=[world["loan"].pk, "retour"]),
        {"returned_on": timezone.localdate(), "complete": "on"},
    )
    assert response.status_code == 404
    assert Loan.objects.get(pk=world["loan"].pk).state == "open"


def test_prescriber_cannot_approve_their_own_request(client, world, prescriber):
    client.force_login(prescriber)
    target = world["request"]
    response = client.post(
        reverse("prets:request_action", args=[target.pk, "accepter"]),
        {"expected_state": "submitted"},
        follow=True,
    )
    assert "association destinataire peut faire cette action" in response.content.decode()
    assert DeviceRequest.objects.get(pk=target.pk).state == RequestState.SUBMITTED


def test_a_household_of_another_organisation_by_url_is_a_404(client, other_prescriber, household):
    client.force_login(other_prescriber)
    for name in ("prets:request_create", "prets:eligibility_add", "household_export"):
        assert client.get(reverse(name, args=[household.pk])).status_code == 404
    response = client.post(reverse("household_erase", args=[household.pk]), {"confirm": "on"})
    assert response.status_code == 404


# --- forms ----------------------------------------------------------------------------------


def request_data(refurbisher, eligibility, **extra):
    data = {
        "refurbisher": refurbisher.pk,
        "device_kind": "laptop",
        "mode": "loan",
        "purpose": "school",
        "urgency": "1",
        "eligibility": eligibility.pk,
        "details": "",
    }
    data.update(extra)
    return data


def test_request_without_consent_is_not_sent(
    client, prescriber, household, refurbisher, eligibility
):
    client.force_login(prescriber)
    url = reverse("prets:request_create", args=[household.pk])
    response = client.post(url, {**request_data(refurbisher, eligibility), "submit": "1"})
    assert response.status_code == 200
    assert "ne peut pas être envoyée sans cette case" in response.content.decode()
    assert not DeviceRequest.objects.exists()
    # A draft may be saved without it.
    response = client.post(url, {**request_data(refurbisher, eligibility), "draft": "1"})
    draft = DeviceRequest.objects.get()
    assert draft.state == RequestState.DRAFT
    assert response["Location"] == reverse("prets:request", args=[draft.pk])


def test_request_sent_with_consent(client, prescriber, household, refurbisher, eligibility):
    client.force_login(prescriber)
    response = client.post(
        reverse("prets:request_create", args=[household.pk]),
        {**request_data(refurbisher, eligibility), "consent_informed": "on", "submit": "1"},
        follow=True,
    )
    assert "Demande envoyée" in response.content.decode()
    assert DeviceRequest.objects.get().state == RequestState.SUBMITTED


def test_loan_form_refuses_a_due_date_before_the_start(client, staff, make_request, ready_device):
    request = make_request(state="approved")
    services.device_allocate(request.pk, ready_device().pk, staff)
    client.force_login(staff)
    today = timezone.localdate()
    response = client.post(
        reverse("prets:loan_start", args=[request.pk]),
        {"started_on": today, "due_on": today - dt.timedelta(days=1), "deposit_amount": "0"},
    )
    assert "L&#x27;échéance ne peut pas précéder le début du prêt." in response.content.decode()
    assert not Loan.objects.exists()


def test_allocate_by_code_and_a_wrong_code(client, staff, make_request, ready_device):
    request = make_request(state="approved")
    device = ready_device()
    client.force_login(staff)
    url = reverse("prets:allocate", args=[request.pk])
    response = client.post(url, {"code": "FIL-000000"}, follow=True)
    assert "Aucun appareil de l&#x27;association n&#x27;a ce code." in response.content.decode()
    response = client.post(url, {"code": device.public_code.lower()}, follow=True)
    assert f"Appareil {device.public_code} réservé" in response.content.decode()


def test_export_is_json_attachment(client, prescriber, world):
    client.force_login(prescriber)
    response = client.get(PAGES["export"](world))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert response.json()["foyer"]["nom"] == "Mme Martin"


# --- query budgets: 3 rows and 30 rows cost the same ------------------------------------------


@pytest.fixture
def rows(refurbisher, ccas, prescriber):
    def make(n):
        for i in range(n):
            household = HouseholdFactory(organisation=ccas, name=f"Foyer {i:02d}")
            DeviceRequestFactory(
                household=household,
                refurbisher=refurbisher,
                created_by=prescriber,
                state="submitted",
            )
            LoanFactory(
                request=DeviceRequestFactory(
                    household=household, refurbisher=refurbisher, state="fulfilled"
                )
            )

    return make


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize(
    ("role", "url", "budget"),
    [
        ("prescriber", "prets:requests", 9),
        ("staff", "prets:queue", 9),
        ("staff", "prets:loans", 8),
        ("prescriber", "prets:loans", 8),
    ],
)
def test_list_query_budget(
    request, client, rows, n, role, url, budget, django_assert_max_num_queries
):
    rows(n)
    client.force_login(request.getfixturevalue(role))
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(url))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(
        n * (2 if url == "prets:requests" else 1), 25
    )


@pytest.mark.parametrize("n", [3, 30])
def test_household_file_query_budget(
    client, prescriber, household, eligibility, make_request, n, django_assert_max_num_queries
):
    for _ in range(n):
        make_request(state="submitted")
    client.force_login(prescriber)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("prets:household", args=[household.pk]))
    assert len(response.context["requests"]) == n


# --- navigation and order ---------------------------------------------------------------------


def test_the_household_page_leads_to_its_equipment_file(client, prescriber, household, ccas):
    """A social worker opens a household from the Foyers list and reaches its requests
    without typing an address; a facilitator of the same organisation gets no such link."""
    file_url = reverse("prets:household", args=[household.pk])
    client.force_login(prescriber)
    listing = client.get(reverse("households")).content.decode()
    assert reverse("www:household", args=[household.pk]) in listing
    page = client.get(reverse("www:household", args=[household.pk])).content.decode()
    assert f'href="{file_url}"' in page
    facilitator = UserFactory(username="animateur-ccas")
    MembershipFactory(user=facilitator, organisation=ccas, role="facilitator")
    client.force_login(facilitator)
    page = client.get(reverse("www:household", args=[household.pk]))
    assert page.status_code == 200
    assert file_url not in page.content.decode()
    assert client.get(file_url).status_code == 404


def test_the_queue_puts_the_most_urgent_then_the_oldest_first(client, staff, make_request):
    now = timezone.now()
    normal_old = make_request(urgency=0, submitted_at=now - dt.timedelta(days=9))
    urgent_new = make_request(urgency=1, submitted_at=now - dt.timedelta(days=1))
    normal_new = make_request(urgency=0, submitted_at=now - dt.timedelta(days=2))
    urgent_old = make_request(urgency=1, submitted_at=now - dt.timedelta(days=5))
    client.force_login(staff)
    response = client.get(reverse("prets:queue"))
    assert [r.pk for r in response.context["page"].object_list] == [
        urgent_old.pk,
        urgent_new.pk,
        normal_old.pk,
        normal_new.pk,
    ]


def test_erasure_on_request_through_the_page(client, prescriber, household):
    url = reverse("household_erase", args=[household.pk])
    client.force_login(prescriber)
    file_page = client.get(reverse("prets:household", args=[household.pk])).content.decode()
    assert f'href="{url}"' in file_page
    # Without the confirmation nothing is erased, and the page says why.
    response = client.post(url, {"confirm": ""})
    assert "Cochez la case pour confirmer l&#x27;effacement." in response.content.decode()
    household.refresh_from_db()
    assert household.name == "Mme Martin"
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert "Les données personnelles du foyer ont été effacées." in response.content.decode()
    household.refresh_from_db()
    assert household.name == "Foyer anonymisé" and household.email == ""
    # Erased: the file no longer offers to erase it again.
    assert f'href="{url}"' not in response.content.decode()
