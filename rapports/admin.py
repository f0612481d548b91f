from django.contrib import admin

from .models import Funding


@admin.register(Funding)
class FundingAdmin(admin.ModelAdmin):
    list_display = ["name", "funder", "refurbisher", "gisement", "starts_on", "ends_on", "amount"]
    list_filter = ["funder"]
    autocomplete_fields = []
    raw_id_fields = ["gisement"]
