"""Each device's search document (parc/search.py), written for the devices already there.

Written by chunks of 2,000 devices read with their media and functional tests (three queries
and a bulk UPDATE per chunk). The indexes over
the document come in 0014, after the documents, so that filling them does not update an
index row by row.
"""

from django.db import migrations, models

CHUNK = 2000


def fill_documents(apps, schema_editor):
    from parc.search import (
        DEVICE_TEXT_FIELDS,
        MEDIUM_TEXT_FIELDS,
        TEST_TEXT_FIELDS,
        device_document,
    )

    Device = apps.get_model("parc", "Device")
    StorageMedium = apps.get_model("parc", "StorageMedium")
    RefurbishmentRecord = apps.get_model("parc", "RefurbishmentRecord")
    last = 0
    while True:
        devices = list(
            Device.objects.filter(pk__gt=last)
            .order_by("pk")
            .values("pk", *DEVICE_TEXT_FIELDS)[:CHUNK]
        )
        if not devices:
            return
        ids = [device["pk"] for device in devices]
        media, tests = {}, {}
        for row in StorageMedium.objects.filter(device_id__in=ids).order_by("pk").values(
            "device_id", *MEDIUM_TEXT_FIELDS
        ):
            media.setdefault(row["device_id"], []).append(row)
        for row in RefurbishmentRecord.objects.filter(device_id__in=ids).order_by("pk").values(
            "device_id", *TEST_TEXT_FIELDS
        ):
            tests.setdefault(row["device_id"], []).append(row)
        updates = []
        for device in devices:
            text = device_document(device, media.get(device["pk"], ()), tests.get(device["pk"], ()))
            if text:
                updates.append(Device(pk=device["pk"], search_document=text))
        Device.objects.bulk_update(updates, ["search_document"], batch_size=500)
        last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("parc", "0014_label_printing"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="search_document",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="mots de recherche"
            ),
        ),
        migrations.RunPython(fill_documents, migrations.RunPython.noop, elidable=True),
    ]
