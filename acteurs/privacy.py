"""The RGPD paperwork an organisation needs, generated from the code itself:

- the record of processing (« registre des traitements », RGPD art. 30): for each processing,
  its purposes, legal basis, people concerned, data categories, recipients, retention and
  security measures — the data and retention from the registry every app fills
  (``acteurs.personal_data``), the security measures from the settings in force;
- the information notice (RGPD art. 13) a household is given when its data are recorded:
  the organisation's name and contacts (postal address, e-mail for data rights, DPO), what
  is done with the data, who sees it, how long it is kept, its rights.

Both are plain data (dataclasses) rendered as a page and as a PDF by ``acteurs.views``. When a
source, a retention setting or a security setting changes, the documents change with it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .consent import CURRENT_CONSENT_VERSION, consent_text
from .models import Organisation
from .personal_data import PersonalDataField, sources


@dataclass(frozen=True)
class SourceSection:
    label: str
    purpose: str
    legal_basis: str
    retention: str
    recipients: str
    categories: list[str]
    fields: list[PersonalDataField]


@dataclass(frozen=True)
class Processing:
    """One processing (traitement) of the record."""

    name: str
    purpose: str
    people: str
    sections: list[SourceSection]
    recipients_outside: str
    transfers: str


@dataclass(frozen=True)
class Record:
    controller: Organisation | None
    generated_at: object
    processings: list[Processing]
    security: list[str]


def _sections() -> list[SourceSection]:
    found = []
    for source in sources():
        description = source.describe()
        categories = []
        for item in description.fields:
            if str(item.category) not in categories:
                categories.append(str(item.category))
        found.append(
            SourceSection(
                label=str(source.label),
                purpose=str(description.purpose),
                legal_basis=str(description.legal_basis),
                retention=str(description.retention),
                recipients=str(description.recipients),
                categories=categories,
                fields=list(description.fields),
            )
        )
    return found


def security_measures() -> list[str]:
    """What protects the data, from the settings in force."""
    measures = [
        _(
            "Accès par rôle et par organisation : un foyer n'est visible que de sa structure "
            "référente (et, pour son nom, de l'équipe d'un atelier où il est inscrit) ; un objet "
            "d'une autre organisation n'existe pas pour l'utilisateur (404)."
        ),
        _(
            "Verrouillage du compte après %(n)s mots de passe erronés, pendant %(m)s minutes ; "
            "envoi limité des courriels de réinitialisation."
        )
        % {"n": settings.LOGIN_FAILURES_PER_ACCOUNT, "m": settings.LOGIN_LOCKOUT_MINUTES},
        _(
            "Déconnexion après %(idle)s minutes d'inactivité pour les rôles qui voient des "
            "foyers, et au plus tard après %(max)s heures ; « poste partagé » à la connexion ; "
            "aucune page ni fichier avec des données personnelles gardé en cache "
            "(Cache-Control: no-store)."
        )
        % {
            "idle": settings.SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES,
            "max": settings.SESSION_MAX_HOURS,
        },
        (
            _(
                "Double authentification (application TOTP et codes de secours) obligatoire "
                "pour les administrateurs, la coordination et les opérateurs ; possible pour "
                "tous."
            )
            if settings.SECOND_FACTOR_REQUIRED
            else _(
                "Double authentification (application TOTP et codes de secours) possible pour "
                "tous ; NON exigée sur cette installation (réglage SECOND_FACTOR_REQUIRED)."
            )
        ),
        _(
            "Journal des accès : chaque consultation ou export de la fiche d'un foyer, d'une "
            "demande ou d'un prêt (qui, quand, quoi, depuis quelle page) est enregistré, montré "
            "aux administrateurs de l'organisation et gardé %(days)s jours."
        )
        % {"days": settings.ACCESS_LOG_RETENTION_DAYS},
        _(
            "Historiques en ajout seul (protégés par la base de données) ; seule "
            "l'anonymisation peut y effacer du texte, et chaque effacement est tracé."
        ),
        _(
            "Anonymisation automatique %(days)s jours après le dernier contact, et effacement à "
            "la demande, dans toutes les copies (historiques, notes, journal d'administration) ; "
            "rejouée après la restauration d'une sauvegarde plus ancienne."
        )
        % {"days": settings.HOUSEHOLD_RETENTION_DAYS},
        _(
            "Rapports et exports pour les financeurs sans aucune donnée personnelle ; effectifs "
            "de moins de 5 masqués, avec secret secondaire."
        ),
        (
            _("Sauvegardes chiffrées (AES-256-GCM), %(n)s conservées.")
            if settings.BACKUP_PASSPHRASE
            else _(
                "Sauvegardes (%(n)s conservées) NON chiffrées sur cette installation : "
                "définissez BACKUP_PASSPHRASE."
            )
        )
        % {"n": settings.BACKUP_KEEP},
        _("Aucune ressource chargée depuis un tiers (pas de CDN, pas de mesure d'audience)."),
    ]
    if getattr(settings, "SECURE_SSL_REDIRECT", False):
        measures.append(_("Connexions chiffrées (HTTPS obligatoire, cookies sécurisés)."))
    return measures


def record_of_processing(controller: Organisation | None) -> Record:
    """The record of processing, for ``controller`` (an organisation) or the platform."""
    sections = _sections()
    households = Processing(
        name=_("Accompagnement numérique des foyers (prêt, vente solidaire, ateliers)"),
        purpose=_(
            "Équiper et former les foyers accompagnés par les structures sociales du "
            "département, et rendre compte de l'activité aux financeurs sans donnée personnelle."
        ),
        people=_("Foyers bénéficiaires (la personne de référence du foyer)."),
        sections=sections,
        recipients_outside=_(
            "Aucun destinataire extérieur : les financeurs et donateurs ne reçoivent que des "
            "chiffres agrégés, sans nom ni effectif de moins de 5."
        ),
        transfers=_("Aucun transfert hors de l'Union européenne."),
    )
    return Record(
        controller=controller,
        generated_at=timezone.now(),
        processings=[households],
        security=security_measures(),
    )


@dataclass(frozen=True)
class Notice:
    organisation: Organisation
    consent_version: str
    consent_text: str
    sections: list[SourceSection]
    rights: list[str]
    retention_days: int
    generated_at: object

    @property
    def contact_missing(self) -> bool:
        return not (self.organisation.privacy_email or self.organisation.postal_address)


def information_notice(organisation: Organisation) -> Notice:
    """What a household is told (and may keep on paper) when its data are recorded."""
    return Notice(
        organisation=organisation,
        consent_version=CURRENT_CONSENT_VERSION,
        consent_text=consent_text(CURRENT_CONSENT_VERSION, organisation.name),
        sections=_sections(),
        rights=[
            _("consulter vos données et en recevoir une copie (droit d'accès) ;"),
            _("les faire corriger (droit de rectification) ;"),
            _(
                "les faire effacer (droit à l'effacement), sauf les reçus de vente que la loi "
                "oblige à garder ;"
            ),
            _("demander qu'elles ne soient plus utilisées pour un temps (droit à la limitation) ;"),
            _("vous opposer à leur utilisation (droit d'opposition) ;"),
            _("savoir qui les a consultées (journal des accès) ;"),
            _(
                "adresser une réclamation à la CNIL (www.cnil.fr, 3 place de Fontenoy, "
                "TSA 80715, 75334 Paris Cedex 07) si vous estimez que vos droits ne sont pas "
                "respectés."
            ),
        ],
        retention_days=settings.HOUSEHOLD_RETENTION_DAYS,
        generated_at=timezone.now(),
    )
