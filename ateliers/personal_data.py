"""What the workshops keep about a household, declared to ``acteurs.personal_data``
(``AteliersConfig.ready`` registers ``SOURCE``): its enrolments and attendance, its autonomy
assessments. None of it is free text: anonymisation keeps them as anonymous statistics
(progress by domain, sessions attended) once the household's name is gone."""

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from acteurs.personal_data import (
    Anonymisation,
    Category,
    Description,
    PersonalDataField,
    PersonalDataSource,
    day,
)

from .models import ACTIVE_STATUSES, Assessment, AutonomySharing, Enrolment


def export(household) -> dict:
    enrolments = Enrolment.objects.filter(household=household).select_related(
        "session__workshop_type"
    )
    assessments = (
        Assessment.objects.filter(household=household)
        .select_related("organisation", "session__workshop_type")
        .prefetch_related("levels")
        .order_by("assessed_on", "id")
    )
    return {
        "ateliers": [
            {
                "atelier": e.session.display_title,
                "le": day(e.session.starts_at),
                "inscription": e.get_status_display(),
                "presence": e.get_attendance_display() if e.attendance else None,
            }
            for e in enrolments
        ],
        "evaluations": [
            {
                "le": day(a.assessed_on),
                "moment": a.get_moment_display(),
                "par": a.organisation.name,
                "seance": a.session.display_title if a.session else None,
                "niveaux": {
                    level.get_domain_display(): level.get_level_display()
                    for level in a.levels.all()
                },
            }
            for a in assessments
        ],
        "partages_du_niveau": [
            {
                "avec": sharing.organisation.name,
                "quoi": sharing.get_scope_display(),
                "accord_le": day(sharing.granted_at),
                "retire_le": day(sharing.withdrawn_at) if sharing.withdrawn_at else None,
            }
            for sharing in AutonomySharing.objects.filter(household=household)
            .select_related("organisation")
            .order_by("granted_at", "id")
        ],
    }


def anonymise(anonymisation: Anonymisation) -> None:
    """Nothing to erase: enrolments and assessments hold no text about the household, only
    links to it (anonymous once its name is gone)."""


def objects(household) -> list:
    return [
        Enrolment.objects.filter(household=household),
        Assessment.objects.filter(household=household),
        AutonomySharing.objects.filter(household=household),
    ]


def _upcoming(queryset):
    return queryset.filter(status__in=ACTIVE_STATUSES, session__starts_at__gt=timezone.now())


def blocks_erasure(household) -> str | None:
    if _upcoming(Enrolment.objects.filter(household=household)).exists():
        return _(
            "Le foyer est inscrit à une séance à venir : annulez son inscription avant "
            "d'effacer ses données (la place revient à la liste d'attente)."
        )
    return None


def exclude_blocked(households):
    return households.exclude(Exists(_upcoming(Enrolment.objects.filter(household=OuterRef("pk")))))


def describe() -> Description:
    return Description(
        purpose=_(
            "Organiser les ateliers d'initiation et de réparation : inscrire le foyer, noter "
            "sa présence, mesurer sa progression en autonomie numérique (référentiel PIX)."
        ),
        legal_basis=_("Mission d'intérêt public ou intérêt légitime (inclusion numérique)."),
        retention=_(
            "Avec le foyer ; après son anonymisation, inscriptions et niveaux restent comme "
            "statistiques anonymes."
        ),
        recipients=_(
            "L'équipe de l'atelier (animateurs, équipe, administrateurs de l'organisation qui "
            "l'anime) voit le nom des inscrits ; la structure du foyer voit ses inscriptions. "
            "Avec l'accord du foyer, noté par sa structure, les animateurs d'une autre "
            "organisation voient son dernier niveau d'autonomie."
        ),
        fields=(
            PersonalDataField(
                "ateliers.Enrolment",
                "session, status, attendance",
                Category.TRAINING,
                kept=True,
                kept_because=_("statistiques anonymes (formations suivies)"),
            ),
            PersonalDataField(
                "ateliers.Assessment",
                "moment, assessed_on, levels",
                Category.TRAINING,
                kept=True,
                kept_because=_("statistiques anonymes (progression en autonomie)"),
            ),
            PersonalDataField(
                "ateliers.AutonomySharing",
                "organisation, scope, granted_at, withdrawn_at",
                Category.TRAINING,
                kept=True,
                kept_because=_("preuve de l'accord du foyer et de son retrait"),
            ),
        ),
    )


SOURCE = PersonalDataSource(
    name="ateliers",
    label=gettext_lazy("Ateliers : inscriptions, présences et évaluations d'autonomie"),
    describe=describe,
    export=export,
    anonymise=anonymise,
    objects=objects,
    blocks_erasure=blocks_erasure,
    exclude_blocked=exclude_blocked,
    order=10,
)
