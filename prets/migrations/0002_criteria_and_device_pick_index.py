"""Seed the eligibility criteria (editable afterwards in the admin) and add the index the
allocation suggestions read: ready devices of one organisation and kind, by grade and time in
stock. The index is on parc's table but serves only this app's query (prets.selectors
.suggested_devices), so it lives here; it is partial (state = 'ready'), hence small."""

from django.db import migrations

CRITERIA = [
    ("rsa", "Revenu de solidarité active (RSA)", "attestation CAF ou MSA de moins de 3 mois\nnotification de droits", 12),
    ("ass", "Allocation de solidarité spécifique (ASS)", "attestation France Travail\nnotification de droits", 12),
    ("aspa", "Allocation de solidarité aux personnes âgées (ASPA, minimum vieillesse)", "notification de la caisse de retraite\nattestation de paiement", 12),
    ("minimum-social", "Bénéficiaire d'un minimum social (sans préciser lequel)", "notification de droits\nattestation de paiement", 12),
    ("css", "Complémentaire santé solidaire", "attestation de droits CSS", 12),
    ("quotient-familial", "Quotient familial CAF ou MSA sous le seuil fixé localement", "attestation de quotient familial", 12),
    ("demandeur-emploi", "Demandeur d'emploi", "attestation d'inscription France Travail\navis de situation", 6),
    ("sortant-ase", "Jeune sortant de l'Aide sociale à l'enfance", "attestation du service ASE\ncontrat jeune majeur", 12),
    ("etudiant-boursier", "Étudiant boursier", "notification de bourse CROUS de l'année", 12),
    ("parent-isole", "Parent isolé", "attestation CAF (situation familiale)", 12),
    ("senior-isole", "Senior isolé", "évaluation du travailleur social", 12),
]


def seed(apps, schema_editor):
    Criterion = apps.get_model("prets", "EligibilityCriterion")
    for position, (code, label, proofs, months) in enumerate(CRITERIA):
        Criterion.objects.update_or_create(
            code=code,
            defaults={"label": label, "proofs": proofs, "validity_months": months, "position": position},
        )


def unseed(apps, schema_editor):
    apps.get_model("prets", "EligibilityCriterion").objects.filter(
        code__in=[c[0] for c in CRITERIA]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("prets", "0001_initial"),
        ("parc", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS prets_device_ready_pick ON parc_device "
            "(owner_id, kind, grade, state_changed_at, id) WHERE state = 'ready'",
            "DROP INDEX IF EXISTS prets_device_ready_pick",
        ),
    ]
