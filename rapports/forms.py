"""Forms of the report pages: the period, and the lifetime of a shared link."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import Period

EARLIEST = dt.date(2000, 1, 1)


class PeriodForm(forms.Form):
    du = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date de début invalide : utilisez le format JJ/MM/AAAA.")},
    )
    au = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date de fin invalide : utilisez le format JJ/MM/AAAA.")},
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        for name in ("du", "au"):
            value = data.get(name)
            if value and not EARLIEST <= value <= dt.date(2100, 12, 31):
                self.add_error(name, _("Choisissez une date entre 2000 et 2100."))
        if start and end and end < start:
            raise forms.ValidationError(
                _(
                    "La période se termine avant de commencer : la date de fin doit suivre "
                    "la date de début."
                )
            )
        return data

    @property
    def period(self) -> Period:
        if not self.is_valid():
            return Period()
        return Period(self.cleaned_data.get("du"), self.cleaned_data.get("au"))


class ShareForm(forms.Form):
    DAY_CHOICES = [(7, _("7 jours")), (30, _("30 jours")), (90, _("90 jours"))]

    days = forms.TypedChoiceField(
        label=_("Le lien fonctionne pendant"),
        choices=DAY_CHOICES,
        coerce=int,
        initial=30,
    )
