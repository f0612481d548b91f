"""Login and sessions: lockout per account and per address (django-axes), the throttled
password reset, the idle and absolute timeouts, « poste partagé », and no caching of pages
shown to a logged-in person."""

import datetime as dt
import time

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from acteurs.lockout import client_address
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "motdepasse-test"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password=PASSWORD, address="192.0.2.10", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password, **extra},
        REMOTE_ADDR=address,
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout ------------------------------------------------------------------------------------


def test_an_account_is_locked_after_the_configured_failures(client, settings, prescriber):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    for attempt in range(1, 5):
        response = _login(client, "prescripteur", "faux")
        assert response.status_code == 200, attempt
        assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    fifth = _login(client, "prescripteur", "faux")
    assert fifth.status_code == 429
    assert "Trop d'essais de connexion manqués" in fifth.content.decode()
    # The right password no longer opens the account, from this address or another one.
    for address in ("192.0.2.10", "198.51.100.20"):
        response = _login(client, "prescripteur", address=address)
        assert response.status_code == 429
        assert not _logged_in(client)


def test_the_lockout_ends_after_the_cool_off(client, settings, prescriber):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(3):
            _login(client, "prescripteur", "faux")
        assert _login(client, "prescripteur").status_code == 429
        clock.shift(dt.timedelta(minutes=14))
        assert _login(client, "prescripteur").status_code == 429
        clock.shift(dt.timedelta(minutes=16))
        response = _login(client, "prescripteur")
        assert response.status_code == 302
        assert _logged_in(client)


def test_an_address_is_locked_after_more_failures_on_any_accounts(client, settings, db):
    """A desk shared by many people is locked only after LOGIN_FAILURES_PER_ADDRESS failures
    between them, each account staying under its own limit."""
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    org = OrganisationFactory(name="CCAS", is_prescriber=True)
    for n in range(3):
        user = UserFactory(username=f"agent{n}")
        MembershipFactory(user=user, organisation=org, role="prescriber")
    failures = 0
    for name in ("agent0", "agent1", "inconnu"):
        for _ in range(2):
            _login(client, name, "faux")
            failures += 1
    assert failures == 6
    assert _login(client, "agent2").status_code == 302  # 6 < 8: the desk still works
    client.logout()
    _login(client, "agent0", "faux")
    _login(client, "agent1", "faux")  # 8 failures from this address
    response = _login(client, "agent2")
    assert response.status_code == 429
    # The same account from another address is not concerned.
    assert _login(client, "agent2", address="198.51.100.20").status_code == 302


def test_a_successful_login_forgives_the_persons_own_typos(client, settings, prescriber):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(2):
        _login(client, "prescripteur", "faux")
    assert _login(client, "prescripteur").status_code == 302
    client.logout()
    for _ in range(2):
        assert _login(client, "prescripteur", "faux").status_code == 200
    assert _login(client, "prescripteur").status_code == 302


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(client, settings, prescriber):
    """A client who writes its own X-Forwarded-For entries cannot escape the address count."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ACCOUNT = 50
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        client.post(
            reverse("login"),
            {"username": f"x{n}", "password": "faux"},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7",
        )
    response = client.post(
        reverse("login"),
        {"username": "prescripteur", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.99, 198.51.100.7",
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.2"),  # no proxy trusted: the header is the client's words
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (1, "", "10.0.0.2"),
        (1, "pas-une-adresse", "10.0.0.2"),
    ],
)
def test_client_address(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


# --- password reset ------------------------------------------------------------------------------


def test_password_reset_is_limited_per_email_address(client, settings, prescriber):
    settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR = 3
    url = reverse("password_reset")
    for _ in range(3):
        assert client.post(url, {"email": "prescripteur@example.org"}).status_code == 302
    assert len(mail.outbox) == 3
    refused = client.post(url, {"email": "Prescripteur@Example.org "})
    assert refused.status_code == 429
    assert "Trop de demandes de réinitialisation" in refused.content.decode()
    assert len(mail.outbox) == 3
    # An hour later, it works again.
    with time_machine.travel(time.time() + 3601, tick=False):
        cache.clear()  # the local-memory cache keeps its own clock: expire by hand
        assert client.post(url, {"email": "prescripteur@example.org"}).status_code == 302


def test_password_reset_is_limited_per_client_address(client, settings, db):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 4
    url = reverse("password_reset")
    for n in range(4):
        assert client.post(url, {"email": f"personne{n}@example.org"}).status_code == 302
    response = client.post(url, {"email": "personne9@example.org"})
    assert response.status_code == 429
    other = client.post(url, {"email": "personne9@example.org"}, REMOTE_ADDR="198.51.100.20")
    assert other.status_code == 302


# --- timeouts ------------------------------------------------------------------------------------


def _page(client):
    return client.get(reverse("households"))


def test_idle_timeout_for_a_role_that_sees_households(client, settings, prescriber):
    settings.SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES = 30
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(prescriber)
        assert _page(client).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert _page(client).status_code == 200  # activity restarts the clock
        clock.shift(dt.timedelta(minutes=29))
        assert _page(client).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = _page(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert not _logged_in(client)
    page = client.get(response["Location"])
    assert "après 30 minutes sans activité" in page.content.decode()


def test_other_roles_have_a_longer_idle_timeout(client, settings, technician):
    settings.SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES = 30
    settings.SESSION_IDLE_MINUTES_OTHER_ROLES = 120
    url = reverse("parc:list")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(technician)
        clock.shift(dt.timedelta(minutes=90))
        assert client.get(url).status_code == 200
        clock.shift(dt.timedelta(minutes=121))
        assert client.get(url).status_code == 302
    assert not _logged_in(client)


def test_absolute_timeout_even_when_active(client, settings, staff):
    settings.SESSION_MAX_HOURS = 12
    url = reverse("parc:list")
    with time_machine.travel(dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(staff)
        for _ in range(35):  # a page every 20 minutes: never idle, 11 h 40 min
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(url).status_code == 200
        clock.shift(dt.timedelta(minutes=21))
        response = client.get(url)
    assert response.status_code == 302
    assert not _logged_in(client)


def test_an_htmx_request_after_the_timeout_is_sent_to_the_login(client, settings, prescriber):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(prescriber)
        clock.shift(dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES + 1))
        response = client.get(reverse("households"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("login"))


# --- « poste partagé » -------------------------------------------------------------------------


def test_shared_computer_session_ends_with_the_browser(client, prescriber):
    response = _login(client, "prescripteur", shared_computer="on")
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert client.session.get_expire_at_browser_close()


def test_a_personal_computer_keeps_the_session_for_the_absolute_limit(client, settings, prescriber):
    response = _login(client, "prescripteur")
    cookie = response.cookies["sessionid"]
    assert int(cookie["max-age"]) == settings.SESSION_MAX_HOURS * 3600


def test_the_login_page_offers_the_shared_computer_box(client):
    page = client.get(reverse("login")).content.decode()
    assert 'name="shared_computer"' in page and "Poste partagé" in page


# --- no caching ----------------------------------------------------------------------------------


def test_pages_and_files_shown_to_a_logged_in_person_are_not_stored(client, prescriber, staff):
    client.force_login(prescriber)
    for url in (reverse("households"), reverse("account_security"), reverse("www:home")):
        response = client.get(url)
        assert response["Cache-Control"] == "private, no-store", url
    client.force_login(staff)
    export = client.get(reverse("parc:export_csv"))
    assert export.status_code == 200
    assert export["Cache-Control"] == "private, no-store"
