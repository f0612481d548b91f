"""Forms of the loan scheme. They validate input; services decide and write."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ateliers.models import WorkshopKind, WorkshopType
from core.forms import FrenchDecimalField
from parc.models import DeviceKind

from .models import (
    FeeRefundReason,
    FollowUpKind,
    Mode,
    Need,
    PaymentMethod,
    Purpose,
    RequestState,
    Urgency,
    VoucherScheme,
)

CONSENT_LABEL = _(
    "La personne a été informée du traitement de ses données (texte d'information du foyer) "
    "et de la transmission de cette demande à l'association."
)

NEEDS_CONSENT_LABEL = _(
    "Le foyer est d'accord pour que ces besoins soient notés et transmis à l'association."
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label, required=True, **kwargs):
    return forms.DateField(label=label, required=required, widget=DateInput(), **kwargs)


class EligibilityCheckForm(forms.Form):
    criterion = forms.ModelChoiceField(label=_("Critère"), queryset=None)
    proof_kind = forms.ChoiceField(
        label=_("Justificatif vu"),
        help_text=_("On note le type de justificatif vu, jamais une copie ni un montant."),
    )
    checked_on = date_field(_("Vérifié le"), initial=timezone.localdate)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = criteria
        groups = []
        for criterion in criteria:
            groups.append((criterion.label, [(p, p) for p in criterion.proof_list]))
        self.fields["proof_kind"].choices = [("", "---------"), *groups]


class RequestForm(forms.Form):
    refurbisher = forms.ModelChoiceField(label=_("Association"), queryset=None)
    device_kind = forms.ChoiceField(
        label=_("Appareil demandé"),
        choices=[(k, label) for k, label in DeviceKind.choices if k != DeviceKind.OTHER],
    )
    purpose = forms.ChoiceField(label=_("Pour"), choices=Purpose.choices)
    mode = forms.ChoiceField(
        label=_("Prêt ou achat"), choices=Mode.choices, widget=forms.RadioSelect, initial=Mode.LOAN
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgence"), choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )
    training = forms.ModelChoiceField(
        label=_("Formation prescrite"),
        queryset=WorkshopType.objects.filter(kind=WorkshopKind.TRAINING, is_active=True),
        required=False,
        empty_label=_("aucune"),
    )
    eligibility = forms.ModelChoiceField(
        label=_("Éligibilité"),
        queryset=None,
        help_text=_(
            "Une vérification encore valable. Enregistrez-en une d'abord s'il n'y en a pas."
        ),
    )
    details = forms.CharField(
        label=_("Précisions"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Le besoin seulement : pas d'information de santé ni de situation familiale."),
    )
    consent_informed = forms.BooleanField(label=CONSENT_LABEL, required=False)
    needs = forms.TypedMultipleChoiceField(
        label=_("Besoins d'usage (facultatif)"),
        choices=Need.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Ce dont l'appareil doit être capable, jamais un diagnostic ni une information "
            "de santé. Ils servent à choisir l'appareil et ne sont jamais transmis aux "
            "financeurs."
        ),
    )
    needs_consent = forms.BooleanField(label=NEEDS_CONSENT_LABEL, required=False)

    def __init__(self, *args, refurbishers, checks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refurbisher"].queryset = refurbishers
        self.fields["eligibility"].queryset = checks
        self.fields["eligibility"].label_from_instance = lambda c: (
            _("%(criterion)s, valable jusqu'au %(d)s")
            % {"criterion": c.criterion.label, "d": c.valid_until.strftime("%d/%m/%Y")}
        )
        # The only possible answer is chosen already: one association, one valid check.
        for name, queryset in (("refurbisher", refurbishers), ("eligibility", checks)):
            only = list(queryset[:2])
            if len(only) == 1:
                self.fields[name].initial = only[0].pk

    def clean(self):
        data = super().clean()
        if data.get("needs") and not data.get("needs_consent"):
            self.add_error(
                "needs_consent",
                _(
                    "Les besoins ne sont enregistrés qu'avec l'accord du foyer : cochez "
                    "cette case ou décochez les besoins."
                ),
            )
        if "submit" in self.data and not data.get("consent_informed"):
            self.add_error(
                "consent_informed",
                _(
                    "La demande ne peut pas être envoyée sans cette case : informez la personne, "
                    "puis cochez-la. Vous pouvez aussi enregistrer un brouillon."
                ),
            )
        return data


class ExpectedStateForm(forms.Form):
    expected_state = forms.ChoiceField(choices=RequestState.choices, widget=forms.HiddenInput)


class NoteForm(ExpectedStateForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class RejectForm(ExpectedStateForm):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Le prescripteur le recevra par courriel."),
    )


class AllocateForm(forms.Form):
    device = forms.IntegerField(widget=forms.HiddenInput, required=False)
    code = forms.CharField(
        label=_("Ou le code d'un appareil disponible"), required=False, max_length=30
    )

    def clean(self):
        data = super().clean()
        if not data.get("device") and not data.get("code"):
            raise forms.ValidationError(_("Choisissez un appareil ou saisissez son code."))
        return data


class LoanStartForm(forms.Form):
    started_on = date_field(_("Début du prêt"), initial=timezone.localdate)
    due_on = date_field(_("Échéance"))
    deposit_amount = FrenchDecimalField(
        label=_("Caution (€)"), min_value=0, max_digits=7, decimal_places=2
    )
    deposit_paid = forms.BooleanField(label=_("Caution versée ce jour"), required=False)
    fee_amount = FrenchDecimalField(
        label=_("Frais de prêt (€)"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text=_(
            "Un chèque numérique qui en règle une partie s'enregistre ensuite sur la page du prêt."
        ),
    )
    fee_paid = forms.BooleanField(
        label=_("Frais de prêt réglés ce jour"),
        required=False,
        initial=True,
        help_text=_("Décochez s'ils seront réglés plus tard : la page du prêt en note la date."),
    )
    agreement_signed = forms.BooleanField(
        label=_("Convention signée ce jour (sur papier)"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("started_on") and data.get("due_on") and data["due_on"] < data["started_on"]:
            self.add_error("due_on", _("L'échéance ne peut pas précéder le début du prêt."))
        return data


class SaleForm(forms.Form):
    price = FrenchDecimalField(
        label=_("Prix (€ TTC)"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text=_("0 € : l'appareil est donné."),
    )
    payment_method = forms.ChoiceField(label=_("Moyen de paiement"), choices=PaymentMethod.choices)
    sold_on = date_field(_("Date de la vente"), initial=timezone.localdate)


class RenewForm(forms.Form):
    due_on = date_field(_("Nouvelle échéance"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de suivi"), choices=FollowUpKind.choices)
    on = date_field(_("Date"), initial=timezone.localdate)
    note = forms.CharField(
        label=_("Compte rendu"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("L'usage de l'appareil seulement : pas d'information de santé ou privée."),
    )


class DayForm(forms.Form):
    day = date_field(_("Date"), initial=timezone.localdate)


class FeeRefundForm(forms.Form):
    """The loan fee given back to the household: when and why (a reason from a list)."""

    day = date_field(_("Remboursés le"), initial=timezone.localdate)
    reason = forms.ChoiceField(
        label=_("Motif"), choices=[("", "—")] + list(FeeRefundReason.choices)
    )


class ReturnForm(forms.Form):
    returned_on = date_field(_("Rendu le"), initial=timezone.localdate)
    complete = forms.BooleanField(label=_("Appareil complet"), required=False)
    accessories_returned = forms.BooleanField(
        label=_("Accessoires rendus (chargeur, housse…)"), required=False
    )
    damage = forms.CharField(label=_("Dégâts constatés"), required=False, max_length=300)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class EndLoanForm(forms.Form):
    day = date_field(_("Date"), initial=timezone.localdate)
    note = forms.CharField(label=_("Circonstances ou note"), required=False, max_length=300)


class StateFilterForm(forms.Form):
    etat = forms.ChoiceField(
        label=_("État"), choices=[("", _("tous")), *RequestState.choices], required=False
    )
    q = forms.CharField(label=_("Foyer"), required=False, max_length=100)


def default_due(started_on: dt.date, days: int) -> dt.date:
    return started_on + dt.timedelta(days=days)


class VoucherForm(forms.Form):
    """A digital-inclusion voucher that paid (part of) a sale or a loan fee (issue 15)."""

    scheme = forms.ChoiceField(label=_("Dispositif"), choices=VoucherScheme.choices)
    issuer = forms.CharField(
        label=_("Émetteur"),
        max_length=150,
        help_text=_("Par exemple « APTIC » ou « Conseil départemental d'Eure-et-Loir »."),
    )
    number = forms.CharField(label=_("Numéro du chèque"), max_length=60)
    value = FrenchDecimalField(
        label=_("Valeur (€)"), min_value=Decimal("0.01"), max_digits=7, decimal_places=2
    )
    received_on = date_field(_("Reçu le"), initial=timezone.localdate)


class VoucherFilterForm(forms.Form):
    """The reconciliation list: one issuer (or all) over a period."""

    dispositif = forms.ChoiceField(
        label=_("Dispositif"), choices=[("", _("tous"))] + VoucherScheme.choices, required=False
    )
    emetteur = forms.CharField(label=_("Émetteur"), max_length=150, required=False)
    debut = date_field(_("Du"), required=False)
    fin = date_field(_("Au"), required=False)

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("debut") or today.replace(day=1)
        end = data.get("fin") or today
        if end < start:
            start, end = end, start
        return start, end
