"""Scanning: reading what a scanner typed, batch mode (fill once, scan many) and inventory.

Services first (parc/scanning/services.py), then the pages (parc/scanning/views.py) and their query
budgets; the race of one code scanned twice at once runs on PostgreSQL.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from core.errors import ApplicationError, NotPermitted
from parc import services
from parc.codes import check_symbol
from parc.models import (
    Device,
    DeviceEvent,
    ScanAction,
    ScanBatch,
    ScanLine,
    ScanOutcome,
    State,
)
from parc.scanning import selectors as scan_selectors
from parc.scanning import services as scanning
from tests.acteurs.factories import MembershipFactory, UserFactory
from tests.parc.factories import DeviceFactory, StockLocationFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db

UNKNOWN = "Code inconnu : aucun appareil de votre organisation ne porte ce code."


def mistype(code: str) -> str:
    """The same code with a wrong check symbol."""
    body, check = code[4:-1], code[-1]
    wrong = next(s for s in "0123456789ABCDEFGH" if s != check)
    assert check_symbol(body) != wrong
    return f"FIL-{body}{wrong}"


def unused_code() -> str:
    body = "ZZZZZ9"
    return f"FIL-{body}{check_symbol(body)}"


def triage_batch(organisation, user, name="start_triage"):
    return scanning.batch_start(
        user, organisation=organisation, action=ScanAction.TRANSITION, transition=name
    )


# --- reading the input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "Aucun code saisi"),
        ("   \n", "Aucun code saisi"),
        (None, "Aucun code saisi"),
        ("\x00\x1b\x07", "caractères invisibles"),
        ("\u200b\u200b", "caractères invisibles"),
        ("A" * 10_240, "Saisie trop longue (10240 caractères)"),
        ("FIL-" * 60, "Saisie trop longue"),
    ],
)
def test_nothing_to_read_gets_a_clear_message(raw, expected):
    with pytest.raises(scanning.ScanInputError) as refused:
        scanning.read_code(raw)
    assert expected in refused.value.message


def test_control_characters_a_scanner_adds_are_ignored():
    code = DeviceFactory.build().public_code
    assert scanning.read_code(f"\x02{code}\r\n") == code
    assert scanning.read_code(f"\x1d{code.lower()}\x00") == code
    assert scanning.read_code(f"https://filiere.example.org/e/{code}/\t") == code


def test_not_a_code_and_mistyped_are_told_apart():
    code = DeviceFactory.build().public_code
    with pytest.raises(scanning.CodeRejected) as rejected:
        scanning.read_code(mistype(code))
    assert rejected.value.outcome == ScanOutcome.MISTYPED
    assert "Code mal saisi, vérifiez la saisie" in rejected.value.message
    with pytest.raises(scanning.CodeRejected) as rejected:
        scanning.read_code("bonjour")
    assert rejected.value.outcome == ScanOutcome.UNKNOWN


# --- starting a batch -----------------------------------------------------------------------


def test_a_batch_runs_only_transitions_that_make_sense_in_bulk(refurbisher, technician):
    for name in scanning.BATCH_TRANSITIONS:
        assert triage_batch(refurbisher, technician, name).transition == name
    for name in ("wipe", "mark_ready", "declare_lost", "allocate", "nonsense"):
        with pytest.raises(ApplicationError, match="en série"):
            triage_batch(refurbisher, technician, name)


def test_a_batch_is_for_the_users_own_organisations(refurbisher, other_refurbisher, technician):
    with pytest.raises(NotPermitted):
        triage_batch(other_refurbisher, technician)


def test_a_prescriber_cannot_start_a_batch(refurbisher, prescriber):
    with pytest.raises(NotPermitted):
        triage_batch(refurbisher, prescriber)


def test_move_and_inventory_need_a_location_of_the_organisation(
    refurbisher, other_refurbisher, technician
):
    theirs = StockLocationFactory(organisation=other_refurbisher)
    for action in (ScanAction.MOVE, ScanAction.INVENTORY):
        with pytest.raises(ApplicationError, match="Choisissez"):
            scanning.batch_start(technician, organisation=refurbisher, action=action)
        with pytest.raises(ApplicationError, match="autre organisation"):
            scanning.batch_start(
                technician, organisation=refurbisher, action=action, location=theirs
            )
    retired = StockLocationFactory(organisation=refurbisher, is_active=False)
    with pytest.raises(ApplicationError, match="plus utilisé"):
        scanning.batch_start(
            technician, organisation=refurbisher, action=ScanAction.MOVE, location=retired
        )
    with pytest.raises(ApplicationError, match="inconnue"):
        scanning.batch_start(technician, organisation=refurbisher, action="teleport")


# --- batch scans ------------------------------------------------------------------------------


def test_a_batch_mixing_valid_invalid_and_duplicate_codes_goes_on_to_the_end(
    refurbisher, other_refurbisher, technician
):
    first, second = DeviceFactory.create_batch(2, owner=refurbisher)
    ready = DeviceFactory(owner=refurbisher, state=State.READY)
    foreign = DeviceFactory(owner=other_refurbisher)
    batch = triage_batch(refurbisher, technician)

    scans = [
        (first.public_code, ScanOutcome.APPLIED),
        (mistype(second.public_code), ScanOutcome.MISTYPED),
        (unused_code(), ScanOutcome.UNKNOWN),
        (foreign.public_code, ScanOutcome.UNKNOWN),
        ("bonjour", ScanOutcome.UNKNOWN),
        (ready.public_code, ScanOutcome.REFUSED),
        (first.public_code.lower().replace("-", ""), ScanOutcome.DUPLICATE),
        (f"https://filiere.example.org/e/{first.public_code}/", ScanOutcome.DUPLICATE),
        (second.public_code, ScanOutcome.APPLIED),
    ]
    lines = [scanning.scan(batch, raw, technician) for raw, _outcome in scans]

    assert [line.outcome for line in lines] == [outcome for _raw, outcome in scans]
    assert lines[0].message == (
        "Commencer le diagnostic : fait, l'appareil est maintenant « En diagnostic »."
    )
    assert lines[1].message.startswith("Code mal saisi, vérifiez la saisie")
    # Another organisation's device reads exactly like a code nobody has.
    assert lines[2].message == lines[3].message == UNKNOWN
    assert lines[3].device is None
    assert lines[5].message == (
        f"Action « Commencer le diagnostic » impossible : l'appareil {ready.public_code} "
        "est « Disponible »."
    )
    assert lines[6].message == "Déjà scanné dans cette série."
    assert lines[6].device == first
    # Applied once: one event per device, and the events are the usual ones.
    assert list(
        DeviceEvent.objects.filter(action="start_triage")
        .order_by("id")
        .values_list("device_id", "source_state", "target_state", "actor__username")
    ) == [(first.pk, "registered", "triage", "tech"), (second.pk, "registered", "triage", "tech")]
    assert Device.objects.get(pk=foreign.pk).state == State.REGISTERED
    assert Device.objects.get(pk=ready.pk).state == State.READY
    assert scan_selectors.batch_counts(batch) == {
        "total": 9,
        "applied": 2,
        "failed": 5,
        "duplicate": 2,
    }


def test_a_device_that_changed_state_between_two_scans_is_refused_with_its_state(
    refurbisher, technician, staff
):
    device, other = DeviceFactory.create_batch(2, owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    assert scanning.scan(batch, other.public_code, technician).outcome == ScanOutcome.APPLIED
    # A colleague starts the triage from the device page in the meantime.
    services.device_start_triage(device.pk, staff)
    line = scanning.scan(batch, device.public_code, technician)
    assert line.outcome == ScanOutcome.REFUSED
    assert line.message == (
        f"Action « Commencer le diagnostic » impossible : l'appareil {device.public_code} "
        "est « En diagnostic »."
    )
    assert DeviceEvent.objects.filter(device=device).count() == 1  # the colleague's


def test_recycling_in_bulk_keeps_the_erasure_rule(refurbisher, technician):
    screen = DeviceFactory(owner=refurbisher, kind="screen")
    laptop = DeviceFactory(owner=refurbisher, state=State.TRIAGE)
    StorageMediumFactory(device=laptop, manufacturer="Samsung", model="PM871")
    batch = triage_batch(refurbisher, technician, "recycle")
    assert scanning.scan(batch, screen.public_code, technician).outcome == ScanOutcome.APPLIED
    line = scanning.scan(batch, laptop.public_code, technician)
    assert line.outcome == ScanOutcome.REFUSED
    assert line.message.startswith("Effacement manquant")
    assert Device.objects.get(pk=laptop.pk).state == State.TRIAGE


def test_a_move_batch_moves_each_device_with_its_event(refurbisher, technician):
    shelf, bench = StockLocationFactory.create_batch(2, organisation=refurbisher)
    device = DeviceFactory(owner=refurbisher, location=shelf)
    gone = DeviceFactory(owner=refurbisher, state=State.RECYCLED)
    batch = scanning.batch_start(
        technician, organisation=refurbisher, action=ScanAction.MOVE, location=bench
    )
    line = scanning.scan(batch, device.public_code, technician)
    assert (line.outcome, line.message) == (ScanOutcome.APPLIED, f"Déplacé vers « {bench} ».")
    assert Device.objects.get(pk=device.pk).location == bench
    event = DeviceEvent.objects.get(device=device)
    assert (event.action, event.data) == ("move", {"from": shelf.name, "to": bench.name})
    refused = scanning.scan(batch, gone.public_code, technician)
    assert refused.outcome == ScanOutcome.REFUSED
    assert refused.message == "Un appareil sorti du parc ne peut plus être déplacé."
    again = scanning.scan(batch, device.public_code, technician)
    assert again.outcome == ScanOutcome.DUPLICATE
    assert DeviceEvent.objects.filter(device=device).count() == 1


def test_the_action_and_its_line_are_one_transaction(refurbisher, technician, monkeypatch):
    device = DeviceFactory(owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    real_record = scanning._record

    def failing_record(batch, text, device, outcome, message):
        if outcome == ScanOutcome.APPLIED:
            raise RuntimeError("disk full")
        return real_record(batch, text, device, outcome, message)

    monkeypatch.setattr(scanning, "_record", failing_record)
    with pytest.raises(RuntimeError):
        scanning.scan(batch, device.public_code, technician)
    assert Device.objects.get(pk=device.pk).state == State.REGISTERED
    assert not DeviceEvent.objects.filter(device=device).exists()
    assert not ScanLine.objects.exists()


def test_the_database_constraint_turns_a_lost_race_into_a_duplicate(
    refurbisher, technician, monkeypatch
):
    """If the check before acting misses the other scan's line (a race), the partial unique
    constraint refuses the second applied line and the second move is rolled back."""
    shelf = StockLocationFactory(organisation=refurbisher)
    device = DeviceFactory(owner=refurbisher)
    batch = scanning.batch_start(
        technician, organisation=refurbisher, action=ScanAction.MOVE, location=shelf
    )
    assert scanning.scan(batch, device.public_code, technician).outcome == ScanOutcome.APPLIED
    checks = []
    real_check = scanning._already_applied

    def blind_first_check(batch, device_id):
        checks.append(device_id)
        return False if len(checks) == 1 else real_check(batch, device_id)

    monkeypatch.setattr(scanning, "_already_applied", blind_first_check)
    line = scanning.scan(batch, device.public_code, technician)
    assert line.outcome == ScanOutcome.DUPLICATE
    assert DeviceEvent.objects.filter(device=device, action="move").count() == 1
    assert batch.lines.filter(outcome=ScanOutcome.APPLIED).count() == 1


def test_bad_input_records_nothing_and_a_closed_batch_takes_no_scan(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    for raw in ("", "\x00", "X" * 10_240):
        with pytest.raises(scanning.ScanInputError):
            scanning.scan(batch, raw, technician)
    assert not batch.lines.exists()
    long_but_valid = f"https://filiere.example.org/e/{device.public_code}/?" + "x" * 150
    assert scanning.scan(batch, long_but_valid, technician).outcome == ScanOutcome.APPLIED
    scanning.batch_close(batch, technician)
    assert batch.closed_at is not None
    with pytest.raises(scanning.BatchClosed, match="terminée"):
        scanning.scan(batch, device.public_code, technician)


def test_only_members_scan_into_a_batch(refurbisher, technician, outsider):
    device = DeviceFactory(owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    with pytest.raises(NotPermitted):
        scanning.scan(batch, device.public_code, outsider)
    assert not batch.lines.exists()


def test_long_refusal_messages_fit_their_line(refurbisher, technician):
    laptop = DeviceFactory(owner=refurbisher, state=State.TRIAGE)
    for n in range(12):
        StorageMediumFactory(device=laptop, manufacturer="Western Digital", model=f"WD{n:030d}")
    batch = triage_batch(refurbisher, technician, "dismantle")
    line = scanning.scan(batch, laptop.public_code, technician)
    assert line.outcome == ScanOutcome.REFUSED
    assert len(line.message) == 300
    assert line.message.endswith("…")


# --- inventory ----------------------------------------------------------------------------------


@pytest.fixture
def stocked(refurbisher):
    shelf = StockLocationFactory(organisation=refurbisher, name="Étagère A")
    elsewhere = StockLocationFactory(organisation=refurbisher, name="Réserve")
    found = DeviceFactory(owner=refurbisher, location=shelf, state=State.READY)
    missing = DeviceFactory(owner=refurbisher, location=shelf, state=State.TRIAGE)
    stray = DeviceFactory(owner=refurbisher, location=elsewhere)
    homeless = DeviceFactory(owner=refurbisher, location=None)
    # Left the pool: not expected anywhere, and unexpected if seen.
    recycled = DeviceFactory(owner=refurbisher, location=shelf, state=State.RECYCLED)
    return {
        "shelf": shelf,
        "elsewhere": elsewhere,
        "found": found,
        "missing": missing,
        "stray": stray,
        "homeless": homeless,
        "recycled": recycled,
    }


def test_inventory_compares_what_was_seen_with_what_the_location_should_hold(
    refurbisher, other_refurbisher, technician, stocked
):
    foreign = DeviceFactory(owner=other_refurbisher, location=None)
    batch = scanning.batch_start(
        technician,
        organisation=refurbisher,
        action=ScanAction.INVENTORY,
        location=stocked["shelf"],
    )
    events_before = DeviceEvent.objects.count()
    lines = {
        name: scanning.scan(batch, stocked[name].public_code, technician)
        for name in ("found", "stray", "homeless", "recycled")
    }
    assert scanning.scan(batch, foreign.public_code, technician).outcome == ScanOutcome.UNKNOWN
    again = scanning.scan(batch, stocked["found"].public_code, technician)
    assert again.outcome == ScanOutcome.DUPLICATE

    assert {name: line.outcome for name, line in lines.items()} == dict.fromkeys(
        lines, ScanOutcome.APPLIED
    )
    assert lines["found"].message == "Vu ici."
    assert lines["stray"].message == "Vu ici, mais enregistré à « Réserve »."
    assert "aucun emplacement" in lines["homeless"].message
    assert "sorti du parc (« Recyclé (DEEE) »)" in lines["recycled"].message

    # A sighting is not a state change: no event, and last_seen_at is recorded.
    assert DeviceEvent.objects.count() == events_before
    seen = dict(Device.objects.values_list("pk", "last_seen_at"))
    for name in ("found", "stray", "homeless", "recycled"):
        assert seen[stocked[name].pk] is not None
    assert seen[stocked["missing"].pk] is None
    assert seen[foreign.pk] is None

    summary = scan_selectors.inventory_summary(batch)
    assert summary.found.devices == [stocked["found"]]
    assert summary.missing.devices == [stocked["missing"]]
    assert {d.pk for d in summary.unexpected.devices} == {
        stocked[name].pk for name in ("stray", "homeless", "recycled")
    }
    assert (summary.found.count, summary.missing.count, summary.unexpected.count) == (1, 1, 3)


def test_move_here_puts_an_unexpected_device_on_the_inventoried_shelf(
    refurbisher, technician, stocked
):
    batch = scanning.batch_start(
        technician,
        organisation=refurbisher,
        action=ScanAction.INVENTORY,
        location=stocked["shelf"],
    )
    scanning.scan(batch, stocked["stray"].public_code, technician)
    with pytest.raises(ApplicationError, match="pas été vu"):
        scanning.inventory_move_here(batch, stocked["homeless"].pk, technician)
    event = scanning.inventory_move_here(batch, stocked["stray"].pk, technician)
    assert (event.action, event.data) == ("move", {"from": "Réserve", "to": "Étagère A"})
    summary = scan_selectors.inventory_summary(batch)
    assert stocked["stray"] in summary.found.devices
    assert summary.unexpected.count == 0
    scanning.batch_close(batch, technician)
    with pytest.raises(scanning.BatchClosed):
        scanning.inventory_move_here(batch, stocked["stray"].pk, technician)


def test_move_here_is_only_for_inventories(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    scanning.scan(batch, device.public_code, technician)
    with pytest.raises(ApplicationError, match="pas un inventaire"):
        scanning.inventory_move_here(batch, device.pk, technician)


def test_the_summary_caps_long_lists_and_gives_the_total(refurbisher, technician):
    shelf = StockLocationFactory(organisation=refurbisher)
    DeviceFactory.create_batch(5, owner=refurbisher, location=shelf)
    batch = scanning.batch_start(
        technician, organisation=refurbisher, action=ScanAction.INVENTORY, location=shelf
    )
    summary = scan_selectors.inventory_summary(batch, limit=3)
    assert (len(summary.missing.devices), summary.missing.count, summary.missing.more) == (3, 5, 2)


# --- the scan page --------------------------------------------------------------------------


def test_the_scan_page_opens_the_device(client, refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    page = client.get(reverse("parc:scan"))
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()
    assert "autofocus" in page.content.decode()
    for typed in (
        device.public_code,
        device.public_code.lower().replace("0", "o"),
        f"https://filiere.example.org/e/{device.public_code}/",
        f"\x02{device.public_code}\r",
    ):
        response = client.post(reverse("parc:scan"), {"code": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == reverse("parc:device", args=[device.public_code])


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Aucun code saisi"),
        ("\x00", "caractères invisibles"),
        ("7" * 10_240, "Saisie trop longue (10240 caractères)"),
        ("bonjour", "Ce n&#x27;est pas un code Filière"),
        ("mistyped", "Code mal saisi, vérifiez la saisie"),
        ("unknown", "Code inconnu : aucun appareil de votre organisation"),
        ("foreign", "Code inconnu : aucun appareil de votre organisation"),
    ],
)
def test_the_scan_page_says_in_place_why_a_code_does_not_open(
    typed, message, client, refurbisher, other_refurbisher, technician
):
    mine = DeviceFactory(owner=refurbisher)
    theirs = DeviceFactory(owner=other_refurbisher)
    typed = {
        "mistyped": mistype(mine.public_code),
        "unknown": unused_code(),
        "foreign": theirs.public_code,
    }.get(typed, typed)
    client.force_login(technician)
    response = client.post(reverse("parc:scan"), {"code": typed})
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert 'aria-invalid="true"' in content
    assert 'role="alert"' in content
    assert theirs.public_code not in content


def test_scan_pages_need_a_login(client):
    for url in (reverse("parc:scan"), reverse("parc:scan_batch_start")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_only_scan_pages_allow_webassembly(client, refurbisher, technician):
    batch = triage_batch(refurbisher, technician)
    client.force_login(technician)
    for url in (reverse("parc:scan"), reverse("parc:scan_batch", args=[batch.pk])):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self' 'wasm-unsafe-eval'" in policy
        assert "unsafe-inline" not in policy
        assert "http" not in policy
    assert "wasm" not in client.get(reverse("parc:list"))["Content-Security-Policy"]


def test_the_decoder_and_its_webassembly_are_served_from_here(client, technician):
    from django.contrib.staticfiles import finders

    for name in ("ponyfill.js", "zxing_reader.wasm", "LICENSE.barcode-detector"):
        assert finders.find(f"vendor/barcode-detector/{name}"), name
    client.force_login(technician)
    content = client.get(reverse("parc:scan")).content.decode()
    assert 'data-wasm-src="/static/vendor/barcode-detector/zxing_reader.wasm"' in content
    assert "jsdelivr" not in content


# --- batch pages ----------------------------------------------------------------------------


def test_starting_a_batch_from_the_page(client, refurbisher, technician):
    shelf = StockLocationFactory(organisation=refurbisher)
    client.force_login(technician)
    page = client.get(reverse("parc:scan_batch_start"))
    assert page.status_code == 200
    assert "Commencer le diagnostic" in page.content.decode()
    response = client.post(
        reverse("parc:scan_batch_start"),
        {"organisation": refurbisher.pk, "action": "start_triage"},
    )
    batch = ScanBatch.objects.get()
    assert response["Location"] == reverse("parc:scan_batch", args=[batch.pk])
    assert (batch.action, batch.transition, batch.user) == (
        "transition",
        "start_triage",
        technician,
    )
    response = client.post(
        reverse("parc:scan_batch_start"), {"organisation": refurbisher.pk, "action": "inventory"}
    )
    assert response.status_code == 200
    assert "Choisissez l&#x27;emplacement." in response.content.decode()
    client.post(
        reverse("parc:scan_batch_start"),
        {"organisation": refurbisher.pk, "action": "inventory", "location": shelf.pk},
    )
    assert ScanBatch.objects.filter(action="inventory", location=shelf).exists()


def test_a_batch_page_of_another_organisation_is_a_404(
    client, refurbisher, technician, outsider, prescriber
):
    batch = triage_batch(refurbisher, technician)
    device = DeviceFactory(owner=refurbisher)
    client.force_login(outsider)
    assert client.get(reverse("parc:scan_batch", args=[batch.pk])).status_code == 404
    response = client.post(reverse("parc:scan_batch", args=[batch.pk]), {"code": "x"})
    assert response.status_code == 404
    assert client.post(reverse("parc:scan_batch_close", args=[batch.pk])).status_code == 404
    assert not batch.lines.exists()
    client.force_login(prescriber)
    assert client.get(reverse("parc:scan_batch_start")).status_code == 403
    assert client.get(reverse("parc:scan_batch", args=[batch.pk])).status_code == 404
    assert Device.objects.get(pk=device.pk).state == State.REGISTERED


def test_a_scan_without_javascript_posts_then_redirects_with_the_result(
    client, refurbisher, technician
):
    device = DeviceFactory(owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    url = reverse("parc:scan_batch", args=[batch.pk])
    client.force_login(technician)
    response = client.post(url, {"code": device.public_code}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    content = response.content.decode()
    assert "message-success" in content
    assert "En diagnostic" in content
    response = client.post(url, {"code": device.public_code}, follow=True)
    assert "Déjà scanné dans cette série." in response.content.decode()
    assert "message-warning" in response.content.decode()
    response = client.post(url, {"code": ""}, follow=True)
    assert "Aucun code saisi" in response.content.decode()
    lines = response.context["lines"]
    assert [line.outcome for line in lines] == ["duplicate", "applied"]
    assert response.context["counts"]["applied"] == 1


def test_a_scan_with_htmx_returns_its_line_the_counters_and_the_announcement(
    client, refurbisher, technician
):
    device = DeviceFactory(owner=refurbisher)
    batch = triage_batch(refurbisher, technician)
    url = reverse("parc:scan_batch", args=[batch.pk])
    client.force_login(technician)
    htmx = {"HTTP_HX_REQUEST": "true"}
    content = client.post(url, {"code": device.public_code}, **htmx).content.decode()
    assert content.lstrip().startswith('<li class="scan-line outcome-applied">')
    assert 'hx-swap-oob="innerHTML:#scan-status"' in content
    assert 'data-outcome="ok"' in content
    assert '<dl id="scan-counters" class="scan-counters" hx-swap-oob="true">' in content
    content = client.post(url, {"code": device.public_code}, **htmx).content.decode()
    assert 'class="scan-line outcome-duplicate"' in content
    assert 'data-outcome="fail"' in content
    # Nothing to read: no line, only the announcement.
    response = client.post(url, {"code": "Z" * 10_240}, **htmx)
    assert response.status_code == 200
    content = response.content.decode()
    assert "scan-line" not in content
    assert "Saisie trop longue" in content
    assert batch.lines.count() == 2


def test_an_inventory_page_shows_the_comparison_and_moves_a_device_here(
    client, refurbisher, technician, stocked
):
    batch = scanning.batch_start(
        technician,
        organisation=refurbisher,
        action=ScanAction.INVENTORY,
        location=stocked["shelf"],
    )
    url = reverse("parc:scan_batch", args=[batch.pk])
    client.force_login(technician)
    htmx = {"HTTP_HX_REQUEST": "true"}
    content = client.post(url, {"code": stocked["stray"].public_code}, **htmx).content.decode()
    assert '<section id="inventory-summary"' in content
    assert "1 inattendu" in content
    content = client.get(url).content.decode()
    assert "2 manquants" in content
    assert stocked["missing"].public_code in content
    assert "Déplacer ici" in content
    response = client.post(
        reverse("parc:scan_batch_move_here", args=[batch.pk]),
        {"device": stocked["stray"].pk},
        follow=True,
    )
    assert "est maintenant enregistré à « Étagère A »" in response.content.decode()
    assert Device.objects.get(pk=stocked["stray"].pk).location == stocked["shelf"]
    assert response.context["summary"].found.count == 1
    response = client.post(
        reverse("parc:scan_batch_move_here", args=[batch.pk]), {"device": "x"}, follow=True
    )
    assert "Appareil inconnu." in response.content.decode()
    response = client.post(reverse("parc:scan_batch_close", args=[batch.pk]), follow=True)
    assert "Inventaire clos." in response.content.decode()
    assert ScanBatch.objects.get(pk=batch.pk).closed_at is not None
    assert "Déplacer ici" not in response.content.decode()
    assert 'name="code"' not in response.content.decode()
    response = client.post(url, {"code": stocked["missing"].public_code}, follow=True)
    assert "Cette série est terminée" in response.content.decode()


def test_the_nav_links_to_the_scan_page(client, technician):
    client.force_login(technician)
    content = client.get(reverse("parc:list")).content.decode()
    assert f'<a href="{reverse("parc:scan")}">Scanner</a>' in content


# --- query budgets --------------------------------------------------------------------------


def test_scan_page_query_budget(client, refurbisher, technician, django_assert_max_num_queries):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    with django_assert_max_num_queries(3):
        client.get(reverse("parc:scan"))
    # Session, user, memberships (twice: coordinator flag, roles), the device.
    with django_assert_max_num_queries(5):
        response = client.post(reverse("parc:scan"), {"code": device.public_code})
    assert response.status_code == 302


@pytest.mark.parametrize("lines", [3, 30])
def test_batch_page_query_budget(
    lines, client, refurbisher, technician, django_assert_max_num_queries
):
    batch = triage_batch(refurbisher, technician)
    for device in DeviceFactory.create_batch(lines, owner=refurbisher):
        scanning.scan(batch, device.public_code, technician)
        scanning.scan(batch, device.public_code, technician)
    client.force_login(technician)
    url = reverse("parc:scan_batch", args=[batch.pk])
    # Session, user, memberships, the batch, its counters, its lines with their devices.
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert len(response.context["lines"]) == 2 * lines
    device = DeviceFactory(owner=refurbisher)
    # A scan: the batch, the device, its row lock and the duplicate check, the transition
    # (lock, update, event), the line, then the counters; savepoints included.
    with django_assert_max_num_queries(16):
        client.post(url, {"code": device.public_code}, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("devices", [3, 30])
def test_inventory_page_query_budget(
    devices, client, refurbisher, technician, django_assert_max_num_queries
):
    shelf, elsewhere = StockLocationFactory.create_batch(2, organisation=refurbisher)
    batch = scanning.batch_start(
        technician, organisation=refurbisher, action=ScanAction.INVENTORY, location=shelf
    )
    DeviceFactory.create_batch(devices, owner=refurbisher, location=shelf)
    for device in DeviceFactory.create_batch(devices, owner=refurbisher, location=shelf):
        scanning.scan(batch, device.public_code, technician)
    for device in DeviceFactory.create_batch(devices, owner=refurbisher, location=elsewhere):
        scanning.scan(batch, device.public_code, technician)
    client.force_login(technician)
    # The batch page's six, and found, missing and unexpected devices.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("parc:scan_batch", args=[batch.pk]))
    summary = response.context["summary"]
    assert (summary.missing.count, summary.found.count, summary.unexpected.count) == (
        devices,
        devices,
        devices,
    )


@pytest.mark.parametrize("batches", [3, 30])
def test_batch_start_page_query_budget(
    batches, client, refurbisher, technician, django_assert_max_num_queries
):
    StockLocationFactory.create_batch(3, organisation=refurbisher)
    for _ in range(batches):
        triage_batch(refurbisher, technician)
    client.force_login(technician)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("parc:scan_batch_start"))
    assert len(response.context["batches"]) == min(batches, 20)


# --- the same code scanned twice at once (PostgreSQL) -------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["transition", "move", "inventory"])
def test_the_same_code_scanned_twice_at_once_is_applied_once(action, refurbisher, technician):
    assert connection.vendor == "postgresql"
    staff = UserFactory(username="collegue")
    MembershipFactory(user=staff, organisation=refurbisher, role="staff")
    shelf = StockLocationFactory(organisation=refurbisher)
    device = DeviceFactory(owner=refurbisher)
    if action == "transition":
        batch = triage_batch(refurbisher, technician)
    else:
        batch = scanning.batch_start(
            technician, organisation=refurbisher, action=action, location=shelf
        )
    barrier = threading.Barrier(2)
    results = {}

    def scan_as(user, key):
        def runner():
            try:
                barrier.wait(timeout=10)
                results[key] = scanning.scan(batch, device.public_code, user).outcome
            except Exception as error:  # the test inspects what each side got
                results[key] = error
            finally:
                connection.close()

        return threading.Thread(target=runner)

    threads = [scan_as(technician, "first"), scan_as(staff, "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [ScanOutcome.APPLIED, ScanOutcome.DUPLICATE]
    assert batch.lines.filter(outcome=ScanOutcome.APPLIED).count() == 1
    expected_events = {"transition": 1, "move": 1, "inventory": 0}[action]
    assert DeviceEvent.objects.filter(device=device).count() == expected_events
