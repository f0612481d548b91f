"""The second factor (TOTP + recovery codes): required for admins (the coordination included)
and operators, optional for others; set up from a QR code drawn by the site; a recovery code
works once."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from acteurs import second_factor
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "motdepasse-test"
START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def coordination_admin(db):
    departement = OrganisationFactory(name="Département", is_coordinator=True, is_funder=True)
    user = UserFactory(username="coord", is_staff=True)
    MembershipFactory(user=user, organisation=departement, role="admin")
    return user


def _login(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _code(device) -> str:
    """What the person's app shows now (time_machine's clock)."""
    import time

    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time()
    return f"{generator.token():0{device.digits}d}"


def _enrol(client, user):
    page = client.get(reverse("second_factor_enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("second_factor_enrol"), {"code": _code(device)})
    assert done.status_code == 200
    return done


def test_an_admin_is_sent_to_set_up_the_second_factor_before_anything(
    client, clock, coordination_admin
):
    response = _login(client, "coord")
    assert response.status_code == 302
    page = client.get(reverse("parc:list"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("second_factor_enrol"))
    # Every page, the admin included, leads there until it is done.
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("second_factor_enrol"))
    enrol_page = client.get(page["Location"])
    text = enrol_page.content.decode()
    assert "<svg" in text and "obligatoire" in text  # the QR code is drawn by the site
    assert "https://" not in text.split("<svg", 1)[1].split("</svg>", 1)[0]
    done = _enrol(client, coordination_admin)
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("parc:list")).status_code == 200


def test_a_wrong_first_code_is_refused_with_a_message(client, clock, coordination_admin):
    _login(client, "coord")
    client.get(reverse("second_factor_enrol"))
    response = client.post(reverse("second_factor_enrol"), {"code": "000000"})
    assert response.status_code == 400
    assert "Ce code ne correspond pas" in response.content.decode()
    assert not second_factor.has_device(coordination_admin)


def test_with_a_device_every_login_asks_the_code(client, clock, coordination_admin):
    _login(client, "coord")
    _enrol(client, coordination_admin)
    client.post(reverse("logout"))
    clock.shift(dt.timedelta(minutes=2))
    _login(client, "coord")
    page = client.get(reverse("rapports:index"))
    assert page["Location"].startswith(reverse("second_factor_verify") + "?next=")
    wrong = client.post(reverse("second_factor_verify"), {"code": "123456"})
    assert wrong.status_code == 400
    assert "Ce code ne convient pas" in wrong.content.decode()
    clock.shift(dt.timedelta(minutes=1))  # past django-otp's slow-down after a wrong code
    device = TOTPDevice.objects.get(user=coordination_admin, confirmed=True)
    right = client.post(
        reverse("second_factor_verify"),
        {"code": _code(device), "next": reverse("rapports:index")},
    )
    assert right.status_code == 302 and right["Location"] == reverse("rapports:index")
    assert client.get(reverse("rapports:index")).status_code == 200


def test_a_recovery_code_works_once(client, clock, coordination_admin):
    _login(client, "coord")
    codes = _enrol(client, coordination_admin).context["codes"]
    client.post(reverse("logout"))

    _login(client, "coord")
    used = client.post(reverse("second_factor_verify"), {"code": codes[0].upper()})
    assert used.status_code == 302  # typed in capitals, still recognised
    assert StaticToken.objects.filter(device__user=coordination_admin).count() == 9
    client.post(reverse("logout"))

    clock.shift(dt.timedelta(minutes=1))
    _login(client, "coord")
    again = client.post(reverse("second_factor_verify"), {"code": codes[0]})
    assert again.status_code == 400
    clock.shift(dt.timedelta(minutes=1))
    other = client.post(reverse("second_factor_verify"), {"code": codes[1]})
    assert other.status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, clock, coordination_admin):
    _login(client, "coord")
    old = _enrol(client, coordination_admin).context["codes"]
    new = client.post(reverse("recovery_codes_renew")).context["codes"]
    assert set(old).isdisjoint(new)
    tokens = set(
        StaticToken.objects.filter(device__user=coordination_admin).values_list("token", flat=True)
    )
    assert tokens == set(new)


def test_an_operator_must_set_it_up_too(client, clock, db):
    UserFactory(username="operateur", is_superuser=True, is_staff=True)
    _login(client, "operateur")
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("second_factor_enrol"))


def test_it_is_optional_for_other_roles(client, clock, prescriber):
    _login(client, "prescripteur")
    assert client.get(reverse("households")).status_code == 200
    security = client.get(reverse("account_security")).content.decode()
    assert "Facultative pour votre rôle" in security
    _enrol(client, prescriber)
    client.post(reverse("logout"))
    clock.shift(dt.timedelta(minutes=1))
    _login(client, "prescripteur")
    assert client.get(reverse("households"))["Location"].startswith(reverse("second_factor_verify"))


def test_only_an_optional_second_factor_can_be_turned_off(
    client, clock, prescriber, coordination_admin
):
    _login(client, "prescripteur")
    _enrol(client, prescriber)
    client.post(reverse("second_factor_disable"))
    assert not second_factor.has_device(prescriber)
    client.post(reverse("logout"))
    _login(client, "coord")
    _enrol(client, coordination_admin)
    response = client.post(reverse("second_factor_disable"), follow=True)
    assert "obligatoire pour votre rôle" in response.content.decode()
    assert second_factor.has_device(coordination_admin)


def test_an_htmx_request_is_redirected_by_header(client, clock, coordination_admin):
    _login(client, "coord")
    response = client.get(reverse("households"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("second_factor_enrol"))


def test_the_verify_page_never_redirects_elsewhere(client, clock, prescriber):
    _login(client, "prescripteur")
    _enrol(client, prescriber)
    client.post(reverse("logout"))
    clock.shift(dt.timedelta(minutes=1))
    _login(client, "prescripteur")
    device = TOTPDevice.objects.get(user=prescriber, confirmed=True)
    response = client.post(
        reverse("second_factor_verify"),
        {"code": _code(device), "next": "https://example.com/piege"},
    )
    assert response["Location"] == reverse("www:home")


def test_the_demo_waiver_is_said_on_the_login_page(client, settings):
    settings.SECOND_FACTOR_REQUIRED = False
    assert (
        "la double authentification n'est exigée de personne"
        in client.get(reverse("login")).content.decode()
    )
    settings.SECOND_FACTOR_REQUIRED = True
    assert "n'est exigée de personne" not in client.get(reverse("login")).content.decode()
