"""The device list as people use it: sortable columns read by keyset, filters kept for the
next visit, actions on the ticked rows (a transition, a move) device by device."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from acteurs.models import SavedListFilters
from parc import services
from parc.models import Device, DeviceEvent
from tests.parc.factories import (
    DeviceFactory,
    ErasureRecordFactory,
    StockLocationFactory,
    StorageMediumFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("parc:list")
BULK = reverse("parc:bulk")


def codes(client, **params) -> list[str]:
    return [d.public_code for d in client.get(LIST, params).context["page"].rows]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- sorting -----------------------------------------------------------------------------------


def test_each_sort_orders_the_rows_and_pages_by_keyset(client, refurbisher, technician, settings):
    settings.PAGE_SIZE = 2
    now = timezone.now()
    a = DeviceFactory(owner=refurbisher, brand="Acer", model="Aspire 5", state="ready")
    b = DeviceFactory(owner=refurbisher, brand="Dell", model="Latitude 5490", state="triage")
    c = DeviceFactory(owner=refurbisher, brand="Dell", model="Latitude 5490", state="ready")
    d = DeviceFactory(owner=refurbisher, brand="HP", model="ProBook 450", state="ready")
    Device.objects.filter(pk=a.pk).update(state_changed_at=now - dt.timedelta(days=3))
    Device.objects.filter(pk=c.pk).update(state_changed_at=now - dt.timedelta(days=9))
    Device.objects.filter(pk=d.pk).update(state_changed_at=now - dt.timedelta(days=1))
    client.force_login(technician)

    def walk(tri) -> list[str]:
        """Every page of the list in this sort, following « Suivants »."""
        seen, params = [], {"tri": tri}
        while True:
            page = client.get(LIST, params).context["page"]
            seen += [device.public_code for device in page.rows]
            if not page.has_next:
                return seen
            params = {"tri": tri, "apres": page.next_after}

    by_code = sorted([a, b, c, d], key=lambda device: device.public_code)
    assert walk("code") == [device.public_code for device in by_code]
    assert walk("-code") == [device.public_code for device in reversed(by_code)]
    # Make and model, then the id for the two identical Dells.
    assert walk("appareil") == [x.public_code for x in (a, b, c, d)]
    assert walk("-appareil") == [x.public_code for x in (d, c, b, a)]
    # By state (ready before triage), the longest in it first.
    assert walk("etat") == [x.public_code for x in (c, a, d, b)]
    assert walk("anciens") == [x.public_code for x in (a, b, c, d)]
    assert walk("recents") == [x.public_code for x in (d, c, b, a)]

    # Back from the second page of a sort lands on the first.
    first = client.get(LIST, {"tri": "appareil"}).context["page"]
    second = client.get(LIST, {"tri": "appareil", "apres": first.next_after}).context["page"]
    back = client.get(LIST, {"tri": "appareil", "avant": second.previous_before}).context["page"]
    assert [x.pk for x in back.rows] == [x.pk for x in first.rows]


def test_an_unknown_sort_is_refused_by_the_form_and_the_list_shows_its_default(
    client, refurbisher, technician
):
    older, newer = DeviceFactory(owner=refurbisher), DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    response = client.get(LIST, {"tri": "serial; DROP TABLE parc_device"})
    assert response.status_code == 200
    assert [d.pk for d in response.context["page"].rows] == [newer.pk, older.pk]


def test_column_headers_sort_and_say_how(client, refurbisher, technician):
    DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    content = client.get(LIST, {"tri": "code"}).content.decode()
    assert '<th scope="col" aria-sort="ascending"><a class="sort" href="?tri=-code">Code' in content
    assert 'aria-sort="none"><a class="sort" href="?tri=appareil">Appareil' in content


def test_the_row_links_by_the_device_s_code(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    content = client.get(LIST).content.decode()
    link = reverse("parc:device", args=[device.public_code])
    assert f'<a href="{link}" class="code row-link">{device.public_code}</a>' in content


# --- filters remembered ------------------------------------------------------------------------


def test_filters_are_kept_for_the_next_visit_until_reset(client, refurbisher, technician):
    ready = DeviceFactory(owner=refurbisher, state="ready")
    DeviceFactory(owner=refurbisher, state="triage")
    client.force_login(technician)
    assert codes(client, state="ready", tri="code") == [ready.public_code]
    saved = SavedListFilters.objects.get(user=technician, list_name="parc.devices")
    assert saved.query == "state=ready&tri=code"
    assert abs(saved.updated_at - timezone.now()) < dt.timedelta(minutes=1)

    # Another day, another session: the bare list comes back filtered.
    client.logout()
    client.force_login(technician)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?state=ready&tri=code"
    page = client.get(response["Location"])
    assert [d.pk for d in page.context["page"].rows] == [ready.pk]
    assert "Réinitialiser les filtres" in page.content.decode()

    # Emptying the filters by hand shows everything, and is what is kept.
    assert len(codes(client, state="", q="")) == 2
    assert client.get(LIST).status_code == 200

    codes(client, state="ready")
    response = client.post(LIST, {"reinitialiser": "1"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert not SavedListFilters.objects.filter(user=technician).exists()
    assert client.get(LIST).status_code == 200


def test_filters_are_kept_per_user(client, refurbisher, technician, staff):
    DeviceFactory(owner=refurbisher, state="ready")
    client.force_login(technician)
    codes(client, state="ready")
    client.force_login(staff)
    assert client.get(LIST).status_code == 200  # nothing kept for this one


def test_invalid_filters_are_not_kept(client, refurbisher, technician):
    client.force_login(technician)
    client.get(LIST, {"state": "bogus"})
    assert not SavedListFilters.objects.exists()


# --- actions on the ticked rows ---------------------------------------------------------------


def erased(device):
    ErasureRecordFactory(medium=StorageMediumFactory(device=device))
    return device


def test_the_confirmation_page_lists_the_devices_and_whether_the_action_applies(
    client, refurbisher, technician, other_refurbisher
):
    registered = DeviceFactory(owner=refurbisher, state="registered")
    ready = DeviceFactory(owner=refurbisher, state="ready")
    foreign = DeviceFactory(owner=other_refurbisher, state="registered")
    client.force_login(technician)
    response = client.get(
        BULK, {"action": "start_triage", "appareil": [registered.pk, ready.pk, foreign.pk]}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert registered.public_code in content and ready.public_code in content
    assert foreign.public_code not in content  # another organisation's device is not shown
    assert [row["applies"] for row in response.context["rows"]] == [True, False]
    assert "Commencer le diagnostic : 2 appareils cochés" in content
    # Nothing changed yet.
    assert Device.objects.get(pk=registered.pk).state == "registered"


def test_a_bulk_transition_does_each_device_and_reports_the_refused_one(
    client, refurbisher, technician
):
    first = erased(DeviceFactory(owner=refurbisher, state="triage"))
    second = erased(DeviceFactory(owner=refurbisher, state="triage"))
    # No erasure of its disk: the wipe is refused for this one only.
    unerased = DeviceFactory(owner=refurbisher, state="triage")
    StorageMediumFactory(device=unerased)
    client.force_login(technician)
    ids = [first.pk, unerased.pk, second.pk]
    response = client.post(
        BULK,
        {
            "action": "wipe",
            "appareil": ids,
            **{f"etat_{pk}": "triage" for pk in ids},
            "note": "Lot du mardi",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(LIST)
    states = dict(Device.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert states == {first.pk: "wiped", unerased.pk: "triage", second.pk: "wiped"}
    shown = messages_of(response)
    assert len(shown) == 3  # one message per device, in the order ticked
    assert shown[0].startswith(first.public_code) and "fait" in shown[0]
    assert unerased.public_code in shown[1] and "Effacement manquant" in shown[1]
    assert shown[2].startswith(second.public_code)
    assert DeviceEvent.objects.get(device=first, action="wipe").note == "Lot du mardi"
    assert not DeviceEvent.objects.filter(device=unerased, action="wipe").exists()


def test_a_device_changed_since_the_confirmation_is_left_alone(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="registered")
    other = DeviceFactory(owner=refurbisher, state="registered")
    services.device_start_triage(device.pk, technician)  # someone else, meanwhile
    client.force_login(technician)
    response = client.post(
        BULK,
        {
            "action": "start_triage",
            "appareil": [device.pk, other.pk],
            f"etat_{device.pk}": "registered",
            f"etat_{other.pk}": "registered",
        },
        follow=True,
    )
    shown = messages_of(response)
    assert "a changé entre-temps" in shown[0]
    assert Device.objects.get(pk=other.pk).state == "triage"
    assert DeviceEvent.objects.filter(device=device, action="start_triage").count() == 1


def test_a_bulk_move_moves_each_device_and_refuses_one_out_of_the_pool(
    client, refurbisher, technician
):
    shelf = StockLocationFactory(organisation=refurbisher, name="Étagère B2")
    here = DeviceFactory(owner=refurbisher, state="registered")
    recycled = DeviceFactory(owner=refurbisher, state="recycled")
    client.force_login(technician)
    page = client.get(BULK, {"action": "deplacer", "appareil": [here.pk, recycled.pk]})
    assert "Étagère B2" in page.content.decode()
    response = client.post(
        BULK,
        {"action": "deplacer", "appareil": [here.pk, recycled.pk], "location": shelf.pk},
        follow=True,
    )
    assert Device.objects.get(pk=here.pk).location == shelf
    assert Device.objects.get(pk=recycled.pk).location is None
    shown = messages_of(response)
    assert shown[0] == f"{here.public_code} : Déplacé vers « Étagère B2 »."
    assert "ne peut plus être déplacé" in shown[1]


def test_bulk_actions_refuse_what_they_cannot_do(
    client, refurbisher, technician, prescriber, other_refurbisher, settings
):
    device = DeviceFactory(owner=refurbisher)
    foreign = DeviceFactory(owner=other_refurbisher)
    client.force_login(technician)
    # No device ticked, an unknown action, a transition with a form of its own: back to
    # the list with a French message, nothing done.
    for params in (
        {"action": "start_triage"},
        {"action": "drop_table", "appareil": device.pk},
        {"action": "mark_ready", "appareil": device.pk},
    ):
        response = client.get(BULK, params, follow=True)
        assert response.redirect_chain[-1][0] == LIST
        assert messages_of(response)
    # Only another organisation's devices: not disclosed.
    assert client.get(BULK, {"action": "start_triage", "appareil": foreign.pk}).status_code == 404
    assert client.post(BULK, {"action": "start_triage", "appareil": foreign.pk}).status_code == 404
    assert Device.objects.get(pk=foreign.pk).state == "registered"
    # More than a hundred at once.
    response = client.get(
        BULK, {"action": "start_triage", "appareil": list(range(1, 103))}, follow=True
    )
    assert "100 au plus" in messages_of(response)[0]
    # A prescriber has no pool.
    client.force_login(prescriber)
    assert client.get(BULK, {"action": "start_triage", "appareil": device.pk}).status_code == 403


@pytest.mark.parametrize("count", [2, 20])
def test_bulk_confirmation_query_budget(
    count, client, refurbisher, technician, django_assert_max_num_queries
):
    devices = DeviceFactory.create_batch(count, owner=refurbisher)
    client.force_login(technician)
    with django_assert_max_num_queries(8):
        client.get(BULK, {"action": "start_triage", "appareil": [d.pk for d in devices]})


def test_ids_beyond_the_database_s_range_are_ignored_not_500(client, refurbisher, technician):
    DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    huge = "9" * 23
    for params in ({"apres": huge}, {"avant": huge, "tri": "code"}):
        assert client.get(LIST, params).status_code == 200
    response = client.get(BULK, {"action": "start_triage", "appareil": huge})
    assert response.status_code == 302 and response["Location"] == LIST
