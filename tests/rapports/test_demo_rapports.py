"""The demonstration reports: the ``financeur`` and ``fondation`` accounts each open the demo
gisement's report; loading twice changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from acteurs.models import User
from dons.models import Gisement
from parc.demo import load_demo
from rapports.demo import GISEMENT, load_demo_rapports

pytestmark = pytest.mark.django_db


def test_demo_funders_read_the_demo_gisement_report(client):
    load_demo()
    summary = load_demo_rapports()
    assert summary["devices"] > 100
    assert load_demo_rapports() is None
    gisement = Gisement.objects.get(name=GISEMENT)
    for username in ("financeur", "fondation"):
        client.force_login(User.objects.get(username=username))
        index = client.get(reverse("rapports:index")).content.decode()
        assert GISEMENT in index, username
        report = client.get(reverse("rapports:gisement", args=[gisement.pk]))
        assert report.status_code == 200
        assert report.context["report"].devices == summary["devices"]


def test_without_the_pool_demo_the_command_says_what_to_do():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_demo"):
        call_command("load_demo_rapports")


def test_list_accounts_prints_the_foundation_account(capsys):
    call_command("load_demo_rapports", "--list-accounts")
    assert "fondation" in capsys.readouterr().out
