"""Full-text search of the pool (parc/search.py): any word of a device's specifications, media,
remarks, tests and hardware reports, accents and case aside, on SQLite (FTS5) and PostgreSQL
(tsvector + GIN) alike — run these with DATABASE_URL set to check the second."""

from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from parc import search, selectors, services
from parc.evidence import services as evidence
from parc.models import Device
from tests.parc.factories import DeviceFactory
from tests.parc.test_workflow import full_checklist

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hardware"


def register(owner, actor, media=(), **fields):
    fields.setdefault("kind", "laptop")
    return services.device_register(owner=owner, actor=actor, media=list(media), **fields)


def found(user, text) -> set[str]:
    devices = selectors.device_list(user, filters={"q": text})
    return set(devices.values_list("public_code", flat=True))


@pytest.fixture
def laptop(refurbisher, technician):
    return register(
        refurbisher,
        technician,
        media=[
            {
                "media_type": "ssd",
                "manufacturer": "Samsung",
                "model": "PM871b",
                "serial": "S2-XN-0042",
                "capacity_gb": 256,
            }
        ],
        brand="Lenovo",
        model="ThinkPad T460",
        serial="PF-0ABC12",
        cpu="Intel Core i5-6300U",
        notes="Écran fêlé, charnière à reprendre",
    )


@pytest.fixture
def desktop(refurbisher, technician):
    return register(
        refurbisher,
        technician,
        kind="desktop",
        brand="Dell",
        model="OptiPlex 7050",
        cpu="Intel Core i7-7700",
        received_without_storage=True,
        notes="Boîtier rayé",
    )


def test_a_word_of_the_processor_or_the_disk_finds_the_device(laptop, desktop, technician):
    code = {laptop.public_code}
    assert found(technician, "6300U") == code  # a word inside the processor's name
    assert found(technician, "i5-6300u") == code
    assert found(technician, "core i5") == code  # every word must match…
    assert found(technician, "core") == {laptop.public_code, desktop.public_code}
    assert found(technician, "pm871") == code  # …each as the start of a word
    assert found(technician, "PM871B") == code
    assert found(technician, "s2xn0042") == code  # the disk's serial, typed without dashes
    assert found(technician, "7700") == {desktop.public_code}
    assert found(technician, "i5 7700") == set()


def test_remarks_are_found_whatever_the_accents_and_the_case(laptop, desktop, technician):
    code = {laptop.public_code}
    assert found(technician, "ecran") == code
    assert found(technician, "CHARNIERE") == code
    assert found(technician, "fêlé") == code
    assert found(technician, "Fele charniere") == code
    assert found(technician, "rayé") == {desktop.public_code}
    assert found(technician, "boitier raye") == {desktop.public_code}
    assert found(technician, "écran rayé") == set()


def test_prefix_search_and_codes_still_work_beside_full_text(laptop, technician):
    assert found(technician, "pf0abc") == {laptop.public_code}  # the serial's start
    assert found(technician, laptop.public_code.lower()) == {laptop.public_code}
    assert found(technician, "--") == set()  # nothing to search: no device, not every device


def test_another_organisation_s_devices_are_not_found(laptop, outsider):
    assert found(outsider, "6300u") == set()


def test_a_medium_added_later_and_the_functional_test_are_searchable(
    refurbisher, technician, desktop
):
    device = register(refurbisher, technician, brand="HP", model="EliteBook 840 G5")
    services.storage_medium_add(
        device.pk, technician, media_type="hdd", manufacturer="Seagate", model="ST500LM030"
    )
    assert found(technician, "st500lm030") == {device.public_code}
    assert found(technician, "seagate") == {device.public_code}

    ready = DeviceFactory(owner=refurbisher, kind="screen", state="refurbishing")
    services.device_mark_ready(
        ready.pk,
        technician,
        checklist=full_checklist("screen"),
        grade="B",
        parts_replaced="Pied de l'écran remplacé",
        note="Dalle légèrement jaunie",
    )
    assert found(technician, "jaunie") == {ready.public_code}
    assert found(technician, "pied ecran") == {ready.public_code}


def test_a_hardware_report_s_words_are_searchable(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="")
    evidence.hardware_report_apply(
        device.pk, technician, (FIXTURES / "lshw-asus-e200ha-notebook-ereuse.json").read_bytes()
    )
    assert found(technician, "x5-z8350") == {device.public_code}  # the processor
    assert found(technician, "notebook") == {device.public_code}  # the chassis
    assert found(technician, "e200ha") == {device.public_code}


def test_the_list_page_searches_full_text_and_pages_by_keyset(
    client, refurbisher, technician, settings
):
    settings.PAGE_SIZE = 2
    devices = [
        register(refurbisher, technician, cpu="AMD Ryzen 5 3500U", notes=f"lot {n}")
        for n in range(5)
    ]
    register(refurbisher, technician, cpu="Intel Celeron N4000")
    client.force_login(technician)
    first = client.get(reverse("parc:list"), {"q": "ryzen"}).context["page"]
    assert [d.pk for d in first.rows] == [devices[4].pk, devices[3].pk]
    assert first.count == 5
    second = client.get(reverse("parc:list"), {"q": "ryzen", "apres": first.next_after})
    assert [d.pk for d in second.context["page"].rows] == [devices[2].pk, devices[1].pk]


def test_documents_fold_words_once_and_keep_serials_whole():
    text = search.device_document(
        {"brand": "HP", "model": "ProBook 450 G6", "serial": "5CG-12 34", "notes": "Très bon état"},
        [{"manufacturer": "HP", "model": "SSD 256", "serial": ""}],
    )
    assert text == "hp probook 450 g6 5cg 12 34 tres bon etat ssd 256 5cg1234"
    assert search.query_words("État, très BON état") == ["etat", "tres", "bon"]


def test_the_search_document_follows_an_edit_in_the_admin(client, refurbisher, admin_user):
    device = DeviceFactory(owner=refurbisher, brand="Acer", model="TravelMate P214")
    client.force_login(admin_user)
    change = reverse("admin:parc_device_change", args=[device.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "owner": refurbisher.pk,
            "brand": "Acer",
            "model": "TravelMate B118",
            "location": "",
            "donation": "",
            "storage_media-TOTAL_FORMS": 0,
            "storage_media-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        }
    )
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert found(admin_user, "b118") == {device.public_code}
    assert found(admin_user, "p214") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
def test_sqlite_triggers_come_back_after_a_table_rebuild(refurbisher, technician):
    """Django rebuilds a table to alter it on SQLite and its triggers go with the old one:
    the post-migrate check puts them back and reindexes the documents."""
    device = register(refurbisher, technician, cpu="Intel Pentium Silver N5000")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER parc_device_fts_update")
        cursor.execute("DROP TRIGGER parc_device_fts_insert")
    assert search.install_full_text(connection) is True
    assert search.install_full_text(connection) is False  # nothing missing any more
    other = register(refurbisher, technician, cpu="Intel Pentium Gold 4425Y")
    assert found(technician, "pentium") == {device.public_code, other.public_code}
    assert Device.objects.filter(search_document__contains="n5000").count() == 1


@pytest.mark.parametrize("page_hint", [2, 25])
def test_frequent_and_rare_words_find_the_same_devices(
    page_hint, monkeypatch, refurbisher, technician, outsider
):
    """PostgreSQL walks the newest devices for a word frequent among them, asks the index
    for a rarer one (parc.selectors._postgres_search): both give every match, and only
    those of the user's organisation."""
    monkeypatch.setattr(selectors, "PAGE_HINT", page_hint)
    ryzen = [register(refurbisher, technician, cpu="AMD Ryzen 5 3500U") for _ in range(4)]
    celeron = register(refurbisher, technician, cpu="Intel Celeron N4000")
    other = outsider.memberships.get().organisation
    register(other, outsider, cpu="AMD Ryzen 7")
    assert found(technician, "ryzen") == {device.public_code for device in ryzen}
    assert found(technician, "ryzen 3500u") == {device.public_code for device in ryzen}
    assert found(technician, "celeron") == {celeron.public_code}
    assert found(technician, "ryzen celeron") == set()


def test_a_serial_is_one_word_on_both_databases(refurbisher, technician):
    """A serial that reads as a number in scientific notation (« 45E5WKL ») is one word, as
    SQLite's tokenizer and parc.search.words see it: found whole or by its beginning, not by
    its end (PostgreSQL's text parser, used until parc/0021, cut it into « 45e5 » and « wkl »)."""
    device = register(refurbisher, technician, brand="HP", serial="45E5WKL")
    assert found(technician, "45e5wkl") == {device.public_code}
    assert found(technician, "45E5W") == {device.public_code}
    assert found(technician, "wkl") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's generated column")
def test_the_parsed_vector_of_before_is_rewritten_into_words(refurbisher, technician):
    """A database migrated before parc/0021 holds to_tsvector's vector: the post-migrate
    check rewrites the column once, and the search reads the words."""
    from importlib import import_module

    migration = import_module("parc.migrations.0021_search_vector_words")
    device = register(refurbisher, technician, serial="45E5WKL", cpu="Intel Core i3-8100")
    with connection.cursor() as cursor:
        # The device's deferred foreign-key checks first: ALTER TABLE refuses pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(migration.PARSED_VECTOR)
    assert found(technician, "wkl") == {device.public_code}  # the parser's cut
    assert search.install_full_text(connection) is True
    assert search.install_full_text(connection) is False  # nothing left to rewrite
    assert found(technician, "wkl") == set()
    assert found(technician, "45e5wkl i3") == {device.public_code}
