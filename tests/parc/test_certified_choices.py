"""What an erasure certificate states is chosen by the technician, never preselected: the
level, the method, the verification, the result and the destination of the medium start
empty, and a form sent without them is refused with a summary that leads to each."""

import html
import re

import pytest

from parc.models import ErasureRecord
from tests.parc.factories import DeviceFactory, StorageMediumFactory

from .test_views import device_url

pytestmark = pytest.mark.django_db

CERTIFIED = ("level", "method", "verification", "result", "destination")


def selected_values(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)[1]
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_nothing_certified_is_preselected(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage")
    medium = StorageMediumFactory(device=device)
    client.force_login(technician)
    page = client.get(device_url(device, "parc:transition", name="wipe")).content.decode()
    prefix = f"support{medium.pk}"
    for name in CERTIFIED:
        assert selected_values(page, f"{prefix}-{name}") == [""], name
    assert re.search(rf'<input type="text" name="{prefix}-tool"(?![^>]*value=)', page)


def test_an_erasure_sent_without_its_result_is_refused_with_a_summary(
    client, refurbisher, technician
):
    device = DeviceFactory(owner=refurbisher, state="triage")
    medium = StorageMediumFactory(device=device)
    client.force_login(technician)
    prefix = f"support{medium.pk}"
    response = client.post(
        device_url(device, "parc:erasure_add"),
        {
            "medium": medium.pk,
            f"{prefix}-level": "purge",
            f"{prefix}-method": "block_erase",
            f"{prefix}-tool": "nwipe",
            f"{prefix}-verification": "full",
            f"{prefix}-started_at": "2026-11-20T09:00",
            f"{prefix}-ended_at": "2026-11-20T10:30",
        },
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "2 erreurs à corriger" in page
    assert f'href="#id_{prefix}-result">Résultat : Ce champ est obligatoire.' in page
    assert f'href="#id_{prefix}-destination">' in page
    assert not ErasureRecord.objects.exists()
