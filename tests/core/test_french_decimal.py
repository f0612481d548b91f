"""Amounts and weights typed as in French: a decimal comma, spaces between thousands; every
amount of the pages and of the admin is a text input read that way (core.forms)."""

from decimal import Decimal

import pytest
from django import forms

from core.forms import FrenchDecimalField
from dons.forms import DonationForm


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1250,50", Decimal("1250.50")),
        ("1 250,50", Decimal("1250.50")),
        ("1\u00a0250,50", Decimal("1250.50")),
        ("1\u202f250,5", Decimal("1250.5")),
        ("12 500 000", Decimal("12500000")),
        (" 12.5 ", Decimal("12.5")),
    ],
)
def test_french_ways_of_typing_a_number_are_read(typed, read):
    assert FrenchDecimalField(max_digits=12, decimal_places=2).clean(typed) == read


@pytest.mark.parametrize("typed", ["12 5", "1 25,5", "1,250,50", "douze", "45,50 €", "4 5,5"])
def test_a_space_elsewhere_than_between_thousands_is_refused(typed):
    with pytest.raises(forms.ValidationError):
        FrenchDecimalField(max_digits=12, decimal_places=2).clean(typed)


def test_the_donation_form_takes_a_value_with_thousands():
    form = DonationForm({"stated_value": "1 250,50", "received_weight_kg": "48,5"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["stated_value"] == Decimal("1250.50")
    assert form.cleaned_data["received_weight_kg"] == Decimal("48.5")


def test_a_wrong_amount_is_explained_in_french():
    with pytest.raises(forms.ValidationError) as refused:
        FrenchDecimalField(max_digits=7, decimal_places=2).clean("douze euros")
    assert "par exemple « 45,50 »" in refused.value.messages[0]


def test_the_input_is_text_with_a_decimal_keypad_and_shows_a_comma():
    field = FrenchDecimalField(max_digits=7, decimal_places=2)
    html = field.widget.render("price", field.prepare_value(Decimal("45.5")))
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'value="45,5"' in html
    assert "step" not in html


def _form_classes(base=forms.BaseForm):
    for cls in base.__subclasses__():
        yield cls
        yield from _form_classes(cls)


def test_every_decimal_of_the_pages_is_typed_the_french_way():
    import importlib

    for module in (
        "dons.forms",
        "parc.forms",
        "ateliers.forms",
        "prets.forms",
        "rapports.forms",
        "rapports.dashboard_forms",
        "acteurs.forms",
    ):
        importlib.import_module(module)
    checked = []
    for cls in _form_classes():
        if cls.__module__.split(".")[0] not in {
            "dons",
            "parc",
            "ateliers",
            "prets",
            "rapports",
            "acteurs",
            "intake",
            "www",
            "api",
        }:
            continue
        for name, field in getattr(cls, "base_fields", {}).items():
            if isinstance(field, forms.DecimalField):
                checked.append(f"{cls.__name__}.{name}")
                assert isinstance(field, FrenchDecimalField), f"{cls.__name__}.{name}"
                assert not isinstance(field.widget, forms.NumberInput), f"{cls.__name__}.{name}"
    assert {
        "LoanStartForm.deposit_amount",
        "LoanStartForm.fee_amount",
        "SaleForm.price",
        "VoucherForm.value",
    } <= set(checked)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("acteurs.Organisation", "hourly_cost"),
        ("parc.Part", "unit_cost"),
        ("dons.Donation", "logistics_cost"),
        ("rapports.Funding", "amount"),
        ("prets.HandoverPolicy", "default_deposit"),
        ("prets.HandoverPolicy", "default_fee"),
        ("prets.PriceSuggestion", "price"),
    ],
)
def test_the_admin_types_costs_and_prices_the_french_way(model, field):
    from django.apps import apps
    from django.contrib import admin

    model_class = apps.get_model(model)
    model_admin = admin.site._registry[model_class]
    form_field = model_admin.formfield_for_dbfield(model_class._meta.get_field(field), None)
    assert isinstance(form_field, FrenchDecimalField)
    assert form_field.clean("1 250,50") == Decimal("1250.50")


@pytest.mark.django_db
def test_the_admin_page_shows_and_takes_an_hourly_cost_the_french_way(admin_client):
    import re

    from django.urls import reverse

    from tests.acteurs.factories import OrganisationFactory

    organisation = OrganisationFactory(is_refurbisher=True)
    type(organisation).objects.filter(pk=organisation.pk).update(hourly_cost=Decimal("28.5"))
    page = admin_client.get(
        reverse("admin:acteurs_organisation_change", args=[organisation.pk])
    ).content.decode()
    (tag,) = re.findall(r'<input[^>]*name="hourly_cost"[^>]*>', page)
    assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    assert 'value="28,50"' in tag
