"""Amounts and weights typed as in French: a decimal comma, spaces between thousands."""

from decimal import Decimal

import pytest
from django import forms

from dons.forms import DonationForm, FrenchDecimalField


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


@pytest.mark.parametrize("typed", ["12 5", "1 25,5", "1,250,50", "douze"])
def test_a_space_elsewhere_than_between_thousands_is_refused(typed):
    with pytest.raises(forms.ValidationError):
        FrenchDecimalField(max_digits=12, decimal_places=2).clean(typed)


def test_the_donation_form_takes_a_value_with_thousands():
    form = DonationForm({"stated_value": "1 250,50", "received_weight_kg": "48,5"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["stated_value"] == Decimal("1250.50")
    assert form.cleaned_data["received_weight_kg"] == Decimal("48.5")
