"""The pool pages as users reach them: scoping, forms, refusals, query budgets."""

import pytest
from django.urls import reverse

from parc import services
from parc.models import Device, DeviceEvent, ErasureRecord
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import (
    DeviceFactory,
    ErasureRecordFactory,
    StockLocationFactory,
    StorageMediumFactory,
)
from tests.parc.test_workflow import full_checklist

pytestmark = pytest.mark.django_db


def device_url(device, view="parc:device", **kwargs):
    return reverse(view, kwargs={"code": device.public_code, **kwargs})


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- access -----------------------------------------------------------------------------------


def test_pages_need_a_login_and_come_back_to_the_device(client, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    response = client.get(device_url(device))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={device_url(device)}"


def test_login_lands_on_the_requested_device(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    response = client.post(
        reverse("login"),
        {"username": "tech", "password": "motdepasse-test", "next": device_url(device)},
    )
    assert response.status_code == 302
    assert response["Location"] == device_url(device)


def test_wrong_password_gets_a_french_message(client, technician):
    response = client.post(reverse("login"), {"username": "tech", "password": "non"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_password_reset_sends_a_french_email(client, technician, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "tech@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "nouveau mot de passe" in mailoutbox[0].subject
    assert "/comptes/reset/" in mailoutbox[0].body


def test_the_list_shows_only_the_users_organisations(
    client, refurbisher, other_refurbisher, technician
):
    mine = DeviceFactory(owner=refurbisher)
    theirs = DeviceFactory(owner=other_refurbisher)
    client.force_login(technician)
    content = client.get(reverse("parc:list")).content.decode()
    assert mine.public_code in content
    assert theirs.public_code not in content


def test_a_coordinator_sees_every_organisation(client, refurbisher, other_refurbisher):
    departement = OrganisationFactory(name="Département", is_coordinator=True)
    coordinator = UserFactory(username="coord")
    MembershipFactory(user=coordinator, organisation=departement, role="admin")
    devices = [DeviceFactory(owner=refurbisher), DeviceFactory(owner=other_refurbisher)]
    client.force_login(coordinator)
    content = client.get(reverse("parc:list")).content.decode()
    assert all(d.public_code in content for d in devices)


def test_another_organisations_device_is_a_404_by_url_and_by_forged_post(
    client, other_refurbisher, technician
):
    theirs = DeviceFactory(owner=other_refurbisher)
    client.force_login(technician)
    assert client.get(device_url(theirs)).status_code == 404
    forged = client.post(
        device_url(theirs, "parc:transition", name="start_triage"),
        {"expected_state": "registered"},
    )
    assert forged.status_code == 404
    assert Device.objects.get(pk=theirs.pk).state == "registered"
    assert not DeviceEvent.objects.exists()


def test_unknown_or_malformed_codes_are_404_not_500(client, technician):
    client.force_login(technician)
    for code in ["FIL-AAAAAAA", "n'importe quoi", "FIL-%00", "x" * 300]:
        assert client.get(f"/e/{code}/").status_code == 404


def test_a_forgiving_code_redirects_to_the_canonical_page(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    sloppy = device.public_code.lower().replace("-", "").replace("0", "o")
    response = client.get(f"/e/{sloppy}/")
    assert response.status_code == 302
    assert response["Location"] == device_url(device)


# --- list: filters, search, pagination ------------------------------------------------------


def test_filters_and_search(client, refurbisher, technician):
    shelf = StockLocationFactory(organisation=refurbisher, name="Réserve")
    ready = DeviceFactory(owner=refurbisher, state="ready", grade="A", location=shelf)
    phone = DeviceFactory(owner=refurbisher, kind="smartphone", brand="Samsung", serial="R58-M123")
    other = DeviceFactory(owner=refurbisher, brand="HP", model="EliteBook 840 G3")
    client.force_login(technician)

    def codes(**params):
        page = client.get(reverse("parc:list"), params).context["page"]
        return {d.public_code for d in page.rows}

    assert codes(state="ready") == {ready.public_code}
    assert codes(kind="smartphone") == {phone.public_code}
    assert codes(grade="A") == {ready.public_code}
    assert codes(location=shelf.pk) == {ready.public_code}
    assert codes(owner=refurbisher.pk) == {ready.public_code, phone.public_code, other.public_code}
    assert codes(q="r58m") == {phone.public_code}  # serial, without its dash, any case
    assert codes(q="elitebook") == {other.public_code}
    assert codes(q="samsung") == {phone.public_code}
    assert codes(q=phone.public_code.lower()) == {phone.public_code}
    assert codes(q="zzz") == set()


def test_invalid_filter_values_are_ignored_not_500(client, refurbisher, technician):
    DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    response = client.get(reverse("parc:list"), {"state": "bogus", "owner": "x", "apres": "-3"})
    assert response.status_code == 200


def test_pagination_walks_forward_and_back(client, refurbisher, technician, settings):
    settings.PAGE_SIZE = 2
    devices = [DeviceFactory(owner=refurbisher) for _ in range(5)]
    client.force_login(technician)
    first = client.get(reverse("parc:list")).context["page"]
    assert [d.pk for d in first.rows] == [devices[4].pk, devices[3].pk]
    assert first.count == 5 and first.has_next and not first.has_previous
    second = client.get(reverse("parc:list"), {"apres": first.next_after}).context["page"]
    assert [d.pk for d in second.rows] == [devices[2].pk, devices[1].pk]
    back = client.get(reverse("parc:list"), {"avant": second.previous_before}).context["page"]
    assert [d.pk for d in back.rows] == [d.pk for d in first.rows]
    assert not back.has_previous
    # Every page counts the whole result, not what lies beyond its cursor.
    assert second.count == back.count == 5
    last = client.get(reverse("parc:list"), {"apres": second.next_after}).context["page"]
    assert [d.pk for d in last.rows] == [devices[0].pk]
    assert last.count == 5 and not last.has_next
    # A result that fits on the first page is counted from its rows.
    narrow = client.get(reverse("parc:list"), {"q": devices[0].public_code}).context["page"]
    assert [d.pk for d in narrow.rows] == [devices[0].pk] and narrow.count == 1


def test_htmx_filtering_returns_only_the_results(client, refurbisher, technician):
    DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    response = client.get(reverse("parc:list"), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert "<table" in response.content.decode()


# --- device page and actions ----------------------------------------------------------------


def test_device_page_offers_only_the_actions_the_user_may_run(
    client, refurbisher, technician, staff
):
    device = DeviceFactory(owner=refurbisher, state="ready")
    client.force_login(technician)
    # Technicians have no action on a ready device: allocation belongs to the loan pages.
    assert client.get(device_url(device)).context["transitions"] == []
    triage = DeviceFactory(owner=refurbisher, state="triage")
    names = [t.name for t in client.get(device_url(triage)).context["transitions"]]
    assert names == ["wipe", "dismantle", "recycle"]


def test_start_triage_from_the_page(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    response = client.post(
        device_url(device, "parc:transition", name="start_triage"),
        {"expected_state": "registered", "note": "Écran fissuré"},
        follow=True,
    )
    assert "maintenant « En diagnostic »" in " ".join(messages_of(response))
    event = DeviceEvent.objects.get(device=device)
    assert (event.action, event.note, event.actor) == ("start_triage", "Écran fissuré", technician)


def test_a_stale_page_is_told_the_device_changed(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage")
    client.force_login(technician)
    response = client.post(
        device_url(device, "parc:transition", name="dismantle"),
        {"expected_state": "registered"},
        follow=True,
    )
    assert "a changé entre-temps" in " ".join(messages_of(response))
    assert Device.objects.get(pk=device.pk).state == "triage"


def test_an_action_not_available_now_is_refused_with_a_message(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="ready")
    client.force_login(technician)
    response = client.post(
        device_url(device, "parc:transition", name="recycle"),
        {"expected_state": "ready"},
        follow=True,
    )
    assert "impossible" in " ".join(messages_of(response))
    assert Device.objects.get(pk=device.pk).state == "ready"


def test_unknown_action_is_404(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    assert client.get(device_url(device, "parc:transition", name="delete")).status_code == 404
    assert client.get(device_url(device, "parc:transition", name="allocate")).status_code == 404


def test_wipe_page_records_an_erasure_per_medium_then_wipes(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage")
    first, second = StorageMediumFactory(device=device), StorageMediumFactory(device=device)
    client.force_login(technician)
    page = client.get(device_url(device, "parc:transition", name="wipe"))
    assert page.status_code == 200
    refused = client.post(
        device_url(device, "parc:transition", name="wipe"),
        {"expected_state": "triage"},
        follow=True,
    )
    assert "Effacement manquant" in " ".join(messages_of(refused))
    for medium in (first, second):
        prefix = f"support{medium.pk}"
        response = client.post(
            device_url(device, "parc:erasure_add"),
            {
                "medium": medium.pk,
                f"{prefix}-level": "purge",
                f"{prefix}-method": "block_erase",
                f"{prefix}-tool": "nwipe",
                f"{prefix}-tool_version": "0.35",
                f"{prefix}-verification": "full",
                f"{prefix}-result": "erased",
                f"{prefix}-started_at": "2026-11-20T09:00",
                f"{prefix}-ended_at": "2026-11-20T10:30",
                f"{prefix}-destination": "reuse",
            },
        )
        assert response.status_code == 302
    assert ErasureRecord.objects.filter(medium__device=device, result="erased").count() == 2
    client.post(device_url(device, "parc:transition", name="wipe"), {"expected_state": "triage"})
    assert Device.objects.get(pk=device.pk).state == "wiped"


def test_a_bad_erasure_form_is_explained_and_writes_nothing(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage")
    medium = StorageMediumFactory(device=device)
    client.force_login(technician)
    prefix = f"support{medium.pk}"
    response = client.post(
        device_url(device, "parc:erasure_add"),
        {
            "medium": medium.pk,
            f"{prefix}-level": "purge",
            f"{prefix}-method": "nonsense",
            f"{prefix}-started_at": "2026-11-20T10:00",
            f"{prefix}-ended_at": "2026-11-20T09:00",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "La fin doit suivre le début" in content
    assert not ErasureRecord.objects.exists()


def test_an_erasure_posted_for_a_medium_of_another_device_is_404(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage")
    StorageMediumFactory(device=device)
    foreign = StorageMediumFactory(device=DeviceFactory(owner=OrganisationFactory()))
    client.force_login(technician)
    response = client.post(device_url(device, "parc:erasure_add"), {"medium": foreign.pk})
    assert response.status_code == 404
    response = client.post(device_url(device, "parc:erasure_add"), {"medium": "abc"})
    assert response.status_code == 404


def test_add_a_storage_medium_from_the_wipe_page(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage")
    client.force_login(technician)
    client.post(
        device_url(device, "parc:medium_add"),
        {"media_type": "nvme", "manufacturer": "WD", "serial": "WD-123", "capacity_gb": "512"},
    )
    assert device.storage_media.get().serial == "WD-123"
    bad = client.post(device_url(device, "parc:medium_add"), {"media_type": "floppy"})
    assert bad.status_code == 400
    assert device.storage_media.count() == 1


def test_mark_ready_form_lists_the_missing_checks(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="refurbishing", kind="screen")
    client.force_login(technician)
    url = device_url(device, "parc:transition", name="mark_ready")
    data = {"expected_state": "refurbishing", "grade": "B", "check_powers_on": "on"}
    response = client.post(url, data, follow=True)
    assert "Tests fonctionnels non validés" in " ".join(messages_of(response))
    assert Device.objects.get(pk=device.pk).state == "refurbishing"
    data |= {f"check_{k}": "on" for k in full_checklist("screen")}
    client.post(url, data)
    device = Device.objects.get(pk=device.pk)
    assert (device.state, device.grade) == ("ready", "B")


def test_move_to_a_location_of_the_same_organisation_only(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    mine = StockLocationFactory(organisation=refurbisher)
    theirs = StockLocationFactory(organisation=OrganisationFactory())
    client.force_login(technician)
    client.post(device_url(device, "parc:move"), {"location": theirs.pk})
    assert Device.objects.get(pk=device.pk).location is None
    client.post(device_url(device, "parc:move"), {"location": mine.pk})
    assert Device.objects.get(pk=device.pk).location == mine
    assert DeviceEvent.objects.get(device=device).action == "move"


# --- registration ---------------------------------------------------------------------------


def test_register_a_device(client, refurbisher, technician):
    client.force_login(technician)
    response = client.post(
        reverse("parc:register"),
        {
            "owner": refurbisher.pk,
            "kind": "laptop",
            "brand": "Dell",
            "serial": "7X9Z",
            "ram_gb": "8",
        },
    )
    device = Device.objects.get(serial="7X9Z")
    assert response["Location"] == device_url(device)
    assert DeviceEvent.objects.get(device=device).action == "register"


def test_register_refuses_bad_input_with_messages(
    client, refurbisher, other_refurbisher, technician
):
    client.force_login(technician)
    theirs = StockLocationFactory(organisation=other_refurbisher)
    response = client.post(
        reverse("parc:register"),
        {
            "owner": other_refurbisher.pk,
            "kind": "toaster",
            "ram_gb": "beaucoup",
            "location": theirs.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"owner", "kind", "ram_gb", "location"}
    assert not Device.objects.exists()


def test_prescribers_cannot_register_devices(client, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("parc:register")).status_code == 403


# --- query budgets: the same number of queries for 3 rows and for 30 --------------------------


@pytest.mark.parametrize("rows", [3, 30])
def test_device_list_query_budget(
    rows, client, refurbisher, technician, django_assert_max_num_queries
):
    shelf = StockLocationFactory(organisation=refurbisher)
    DeviceFactory.create_batch(rows, owner=refurbisher, location=shelf)
    client.force_login(technician)
    # The filters the user keeps for the next visit: read, and written when they change.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("parc:list"), {"kind": "laptop"})
    assert len(response.context["page"].rows) == min(rows, 25)
    with django_assert_max_num_queries(9):
        client.get(reverse("parc:list"), {"kind": "laptop"})


@pytest.mark.parametrize("events", [3, 30])
def test_device_page_query_budget(
    events, client, refurbisher, technician, django_assert_max_num_queries
):
    device = DeviceFactory(owner=refurbisher)
    for _ in range(events):
        services.device_move(device.pk, technician, StockLocationFactory(organisation=refurbisher))
    StorageMediumFactory.create_batch(3, device=device)
    client.force_login(technician)
    with django_assert_max_num_queries(10):
        response = client.get(device_url(device))
    assert len(response.context["events"]) == events


# --- headers ----------------------------------------------------------------------------------


def test_pages_forbid_third_party_origins(client, technician):
    client.force_login(technician)
    policy = client.get(reverse("parc:list"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "http" not in policy


@pytest.mark.parametrize("media", [1, 6])
def test_wipe_page_query_budget(
    media, client, refurbisher, technician, django_assert_max_num_queries
):
    device = DeviceFactory(owner=refurbisher, state="triage")
    for medium in StorageMediumFactory.create_batch(media, device=device):
        ErasureRecordFactory(medium=medium, result="failed")
    client.force_login(technician)
    with django_assert_max_num_queries(8):
        response = client.get(device_url(device, "parc:transition", name="wipe"))
    assert len(response.context["media"]) == media


def test_search_matches_whole_prefixes_only(client, refurbisher, technician):
    """The prefix search reads an index range: its edges must neither lose nor add a device
    (a prefix ending in Z, whose next character is not a letter; a neighbouring prefix)."""
    ending_in_z = DeviceFactory(owner=refurbisher, serial="ABZ-001")
    neighbour = DeviceFactory(owner=refurbisher, serial="ABY9")
    underscore = DeviceFactory(owner=refurbisher, serial="A%B_1")
    client.force_login(technician)

    def codes(text):
        page = client.get(reverse("parc:list"), {"q": text}).context["page"]
        return {d.public_code for d in page.rows}

    assert codes("abz") == {ending_in_z.public_code}
    assert codes("ABY") == {neighbour.public_code}
    # (and the full-text search finds "A%B_1" typed without its separators, "ab1…")
    assert codes("AB") == {ending_in_z.public_code, neighbour.public_code, underscore.public_code}
    assert codes("A%") == {underscore.public_code}  # a LIKE wildcard is matched literally
    assert codes("A%C") == set()
