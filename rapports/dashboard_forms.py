"""Filters of the dashboards, read from the query string. Whatever arrives there (a date in
the wrong order, an unknown code, garbage), the form turns it into a French message and the
page falls back on its defaults: a filter never causes an error page."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Commune, Departement, Epci
from core.bounds import BoundedDateField
from parc.models import WAITING_STATES

DEFAULT_PERIOD_DAYS = 365
LONGEST_PERIOD_DAYS = 20 * 366
MAX_STUCK_PAGES = 40  # 1,000 devices at 25 a page: past that, filter by stage


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class OrganisationChoiceMixin:
    """An optional ``structure`` filter among the refurbishing organisations in scope; shown
    only when there is more than one."""

    def _add_organisation_field(self, organisations):
        self.organisations = list(organisations)
        self.fields["structure"] = forms.TypedChoiceField(
            label=_("Structure"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("Toutes les structures"))]
            + [(org.pk, org.name) for org in self.organisations],
            error_messages={
                "invalid_choice": _(
                    "Cette structure n'existe pas ou n'est pas dans votre périmètre."
                )
            },
        )

    @property
    def shows_organisations(self) -> bool:
        return len(self.organisations) > 1

    def owner_ids(self, *, everything: bool) -> tuple[int, ...] | None:
        """The organisations to show: the one chosen, else all those in scope (None when the
        user sees the whole département)."""
        self.is_valid()
        chosen = self.cleaned_data.get("structure")
        if chosen:
            return (chosen,)
        if everything:
            return None
        return tuple(sorted(org.pk for org in self.organisations))


class PoolFilterForm(OrganisationChoiceMixin, forms.Form):
    etape = forms.ChoiceField(
        label=_("Étape"),
        required=False,
        error_messages={"invalid_choice": _("Cette étape n'existe pas.")},
    )
    page = forms.IntegerField(
        label=_("Page"),
        required=False,
        min_value=1,
        max_value=MAX_STUCK_PAGES,
        error_messages={
            "invalid": _("Le numéro de page doit être un nombre entier."),
            "min_value": _("Le numéro de page commence à 1."),
            "max_value": _(
                "La liste s'arrête à la page %(limit_value)s : choisissez une étape pour voir "
                "les suivants."
            ),
        },
    )

    def __init__(self, data, *, organisations):
        super().__init__(data)
        self._add_organisation_field(organisations)
        self.fields["etape"].choices = [("", _("Toutes les étapes"))] + [
            (state, state.label) for state in WAITING_STATES
        ]


class PeriodForm(forms.Form):
    """``debut`` and ``fin`` (inclusive). Both absent: the last twelve months."""

    debut = BoundedDateField(
        label=_("Du"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("La date de début n'est pas une date (jj/mm/aaaa).")},
    )
    fin = BoundedDateField(
        label=_("Au"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("La date de fin n'est pas une date (jj/mm/aaaa).")},
    )

    def __init__(self, data, *, today: dt.date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        data = data.copy() if data is not None else {}
        if "debut" not in data and "fin" not in data:
            start, end = self.default_period
            data["debut"], data["fin"] = start.isoformat(), end.isoformat()
        super().__init__(data, **kwargs)

    @property
    def default_period(self) -> tuple[dt.date, dt.date]:
        return self.today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), self.today

    def clean(self):
        cleaned = super().clean()
        if "debut" in self.errors or "fin" in self.errors:
            return cleaned
        start, end = cleaned.get("debut"), cleaned.get("fin")
        if not start or not end:
            raise forms.ValidationError(
                _("La période est vide : indiquez une date de début et une date de fin.")
            )
        if end < start:
            raise forms.ValidationError(
                _("La période se termine le %(end)s, avant de commencer le %(start)s.")
                % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")}
            )
        if (end - start).days > LONGEST_PERIOD_DAYS:
            raise forms.ValidationError(_("Choisissez une période de vingt ans au plus."))
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        """The period asked for, or the default one when the form has an error."""
        self.is_valid()
        start, end = self.cleaned_data.get("debut"), self.cleaned_data.get("fin")
        if start and end and not self.non_field_errors():
            return start, end
        return self.default_period


class LoanReportForm(OrganisationChoiceMixin, PeriodForm):
    def __init__(self, data, *, organisations, today=None):
        super().__init__(data, today=today)
        self._add_organisation_field(organisations)


class RoadmapForm(PeriodForm):
    """Period and territory: a département, an EPCI (SIREN) or a commune (INSEE code)."""

    departement = forms.CharField(label=_("Département"), required=False, max_length=3)
    epci = forms.CharField(label=_("EPCI (n° SIREN)"), required=False, max_length=9)
    commune = forms.CharField(
        label=_("Commune (code INSEE)"),
        required=False,
        max_length=5,
        help_text=_("Cinq caractères, par exemple 28085 pour Chartres."),
    )
    importees = forms.BooleanField(
        label=_("Inclure les réparations importées d'autres sources"),
        required=False,
        help_text=_("Fichiers ORDS d'autres repair cafés : sans cela, seules vos séances."),
    )

    def __init__(self, data, *, today=None):
        super().__init__(data, today=today)
        self.fields["departement"].widget = forms.Select(
            choices=[("", _("Tous les départements"))]
            + [(d.code, str(d)) for d in Departement.objects.order_by("code")]
        )
        self.departement = self.epci_object = self.commune_object = None
        code = (data or {}).get("departement", "").strip()
        if code.isalnum() and len(code) <= 3:  # raw input: checked before any query
            epcis = Epci.objects.filter(communes__departement_id=code).distinct().order_by("name")
            self.fields["epci"].widget = forms.Select(
                choices=[("", _("Tous les EPCI"))] + [(e.siren, e.name) for e in epcis]
            )

    def clean_departement(self):
        code = self.cleaned_data["departement"].strip().upper()
        if code:
            self.departement = Departement.objects.filter(code=code).first()
            if self.departement is None:
                raise forms.ValidationError(
                    _("Aucun département n'a le code « %(code)s ».") % {"code": code}
                )
        return code

    def clean_epci(self):
        code = self.cleaned_data["epci"].strip()
        if code:
            self.epci_object = Epci.objects.filter(siren=code).first() if code.isdigit() else None
            if self.epci_object is None:
                raise forms.ValidationError(
                    _("Aucun EPCI n'a le numéro SIREN « %(code)s ».") % {"code": code}
                )
        return code

    def clean_commune(self):
        code = self.cleaned_data["commune"].strip().upper()
        if code:
            self.commune_object = (
                Commune.objects.select_related("epci").filter(insee_code=code).first()
            )
            if self.commune_object is None:
                raise forms.ValidationError(
                    _("Aucune commune n'a le code INSEE « %(code)s ».") % {"code": code}
                )
        return code

    def clean(self):
        cleaned = super().clean()
        commune, epci, departement = self.commune_object, self.epci_object, self.departement
        if commune and departement and commune.departement_id != departement.code:
            self.add_error(
                "commune",
                _("La commune %(commune)s n'est pas dans le département %(departement)s.")
                % {"commune": commune.name, "departement": departement.code},
            )
        elif commune and epci and commune.epci_id != epci.siren:
            self.add_error(
                "commune",
                _("La commune %(commune)s n'est pas dans l'EPCI %(epci)s.")
                % {"commune": commune.name, "epci": epci.name},
            )
        elif epci and departement and not epci.communes.filter(departement=departement).exists():
            self.add_error(
                "epci",
                _("L'EPCI %(epci)s n'a pas de commune dans le département %(departement)s.")
                % {"epci": epci.name, "departement": departement.code},
            )
        return cleaned

    def territory(self) -> "Territory":
        """The most precise territory chosen without error, or none."""
        self.is_valid()
        if any(name in self.errors for name in ("departement", "epci", "commune")):
            return Territory()
        if self.commune_object:
            return Territory("commune", self.commune_object.insee_code, self.commune_object.name)
        if self.epci_object:
            return Territory("epci", self.epci_object.siren, self.epci_object.name)
        if self.departement:
            return Territory("departement", self.departement.code, str(self.departement))
        return Territory()


class Territory:
    """A territory chosen on the roadmap page, as a condition on a relation to a commune."""

    def __init__(self, level: str = "", code: str = "", name: str = ""):
        self.level, self.code, self.name = level, code, name

    def __bool__(self):
        return bool(self.level)

    def condition(self, commune_path: str) -> Q:
        """A Q keeping the rows whose ``commune_path`` (e.g. ``"household__commune"``) lies
        in the territory; everything when no territory is chosen."""
        if self.level == "commune":
            return Q(**{f"{commune_path}_id": self.code})
        if self.level == "epci":
            return Q(**{f"{commune_path}__epci_id": self.code})
        if self.level == "departement":
            return Q(**{f"{commune_path}__departement_id": self.code})
        return Q()
