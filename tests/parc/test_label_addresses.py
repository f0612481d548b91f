"""Labels remember the address their QR codes hold, so that a server reached at another
address (a fresh install tried with a phone on the local network, a new domain) says which
printed labels lead elsewhere."""

import html

import pytest

from parc.labels import sheets
from parc.models import LabelPrinting
from tests.acteurs.factories import OrganisationFactory
from tests.parc.factories import DeviceFactory

from .test_labels import labels_url, options

pytestmark = pytest.mark.django_db


def test_printing_keeps_the_address_the_codes_hold(client, refurbisher, staff, settings):
    settings.SITE_BASE_URL = "http://localhost:8000"
    devices = DeviceFactory.create_batch(3, owner=refurbisher)
    client.force_login(staff)
    response = client.post(labels_url(devices), options(copies=2))
    assert response["Content-Type"] == "application/pdf"
    printing = LabelPrinting.objects.get()
    assert (printing.organisation, printing.printed_by, printing.labels) == (refurbisher, staff, 6)
    assert printing.base_url == "http://localhost:8000"


def test_a_background_job_keeps_it_when_its_labels_are_made(refurbisher, staff, settings):
    settings.SITE_BASE_URL = "http://192.168.1.20:8000"
    devices = DeviceFactory.create_batch(2, owner=refurbisher)
    job = sheets.LabelJob.objects.create(
        organisation=refurbisher,
        requested_by=staff,
        layout="L7160",
        device_ids=[d.pk for d in devices],
        total=2,
    )
    sheets.run_label_job(job.pk)
    assert LabelPrinting.objects.get().base_url == "http://192.168.1.20:8000"


def test_the_labels_page_names_the_labels_printed_for_another_address(
    client, refurbisher, staff, settings
):
    other = OrganisationFactory(name="Autre recyclerie", short_name="AR", is_refurbisher=True)
    LabelPrinting.objects.create(
        organisation=refurbisher, base_url="http://localhost:8000", labels=40
    )
    LabelPrinting.objects.create(
        organisation=refurbisher, base_url="http://localhost:8000", labels=2
    )
    LabelPrinting.objects.create(organisation=other, base_url="http://old.example", labels=9)
    device = DeviceFactory(owner=refurbisher)
    client.force_login(staff)

    settings.SITE_BASE_URL = "http://localhost:8000"
    page = html.unescape(client.get(labels_url([device])).content.decode())
    assert "mènent à une autre adresse" not in page  # the same address: nothing to say

    settings.SITE_BASE_URL = "http://192.168.1.20:8000"
    page = html.unescape(client.get(labels_url([device])).content.decode())
    assert "mènent à une autre adresse que celle de ce serveur (http://192.168.1.20:8000)" in page
    assert "42 étiquettes pour http://localhost:8000" in page
    assert "old.example" not in page  # another organisation's labels are its own business


def test_the_list_of_addresses_elsewhere_is_one_query(refurbisher, django_assert_num_queries):
    for labels in (3, 30):
        LabelPrinting.objects.create(
            organisation=refurbisher, base_url="http://a.example", labels=labels
        )
    with django_assert_num_queries(1):
        elsewhere = sheets.addresses_elsewhere([refurbisher.pk], base_url="http://b.example")
    assert [(a.base_url, a.labels) for a in elsewhere] == [("http://a.example", 33)]
