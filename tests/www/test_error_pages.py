"""The error pages: French, in the site's layout, with a way back; the CSRF failure too; the
production settings use them (they inherit the base settings and the root URLconf)."""

import subprocess
import sys

import pytest
from django.test import Client

from tests.config.test_settings import GOOD_SECRET, ROOT

pytestmark = pytest.mark.django_db

CASES = {
    400: "Demande incomprise",
    403: "Accès refusé",
    404: "Page introuvable",
    500: "Erreur du serveur",
}


def _layout(body: str):
    assert '<html lang="fr">' in body
    assert 'class="site-header"' in body  # the site's header, not Django's bare page
    assert "Revenir à l'accueil" in body
    for english in ("Not Found", "Forbidden", "Bad Request", "Server Error"):
        assert english not in body


@pytest.mark.urls("tests.www.error_urls")
@pytest.mark.parametrize("status", sorted(CASES))
def test_each_error_is_a_french_page_with_a_way_back(status, staff):
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    response = client.get(f"/essai/{status}/", HTTP_REFERER="http://testserver/appareils/")
    assert response.status_code == status
    body = response.content.decode()
    _layout(body)
    assert CASES[status] in body
    assert 'href="/appareils/"' in body  # back where the person came from
    assert "boom" not in body and "Traceback" not in body


@pytest.mark.urls("tests.www.error_urls")
def test_the_way_back_never_leads_to_another_site(client):
    response = client.get("/essai/404/", HTTP_REFERER="https://evil.example/phish/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "evil.example" not in body
    assert "Revenir à la page précédente" not in body
    assert "Se connecter" in body  # anonymous: a way in


def test_an_unknown_address_or_another_organisations_device_is_the_french_404(
    client, technician, other_refurbisher
):
    from tests.parc.factories import DeviceFactory

    client.force_login(technician)
    for url in (
        "/nulle-part/",
        f"/appareils/{DeviceFactory(owner=other_refurbisher).public_code}/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        _layout(response.content.decode())
        assert "Page introuvable" in response.content.decode()


def test_a_refused_form_is_the_french_csrf_page(technician):
    client = Client(enforce_csrf_checks=True)
    client.force_login(technician)
    response = client.post("/comptes/logout/")
    assert response.status_code == 403
    body = response.content.decode()
    _layout(body)
    assert "Formulaire expiré" in body
    assert "rechargez-la" in body


def test_the_server_error_page_survives_a_broken_layout(rf, monkeypatch):
    from www.views import errors

    def broken(*args, **kwargs):
        raise RuntimeError("layout")

    monkeypatch.setattr(errors, "render", broken)
    response = errors.server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Erreur du serveur" in response.content.decode()


def test_the_production_settings_use_them():
    code = (
        "import django; django.setup();"
        "from django.conf import settings; from django.urls import get_resolver;"
        "r = get_resolver(); print(settings.CSRF_FAILURE_VIEW);"
        "print(*(r.resolve_error_handler(s).__qualname__ for s in (400, 403, 404, 500)))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": GOOD_SECRET,
        "ALLOWED_HOSTS": "filiere.example.org",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "www.views.errors.csrf_failure",
        "bad_request",
        "permission_denied",
        "page_not_found",
        "server_error",
    ]
