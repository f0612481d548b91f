# Run by .ci/fuzz-api through `manage.py shell`: prints a schemathesis.toml that gives the
# operations taking an identifier a real one of the demo data (a device in triage, the first
# gisement, donation, household, request, loan and session), so that they answer with the
# object and its body is checked against the schema, rather than a 404 every time.
from acteurs.models import Household
from ateliers.models import Session
from dons.models import Donation, Gisement
from parc.models import Device
from prets.models import DeviceRequest, Loan


def first_id(model) -> int:
    return model.objects.order_by("pk").values_list("pk", flat=True).first() or 1


code = Device.objects.filter(state="triage").order_by("pk").values_list("public_code", flat=True)[0]
print("[[operations]]")
print('include-path-regex = "^/api/v1/devices/\\\\{code\\\\}/"')
print(f'parameters = {{ "path.code" = "{code}" }}')
for prefix, model in (
    ("gisements", Gisement),
    ("donations", Donation),
    ("households", Household),
    ("requests", DeviceRequest),
    ("loans", Loan),
    ("workshops/sessions", Session),
):
    print("[[operations]]")
    print(f'include-path-regex = "^/api/v1/{prefix}/\\\\{{id\\\\}}/"')
    print(f'parameters = {{ "path.id" = {first_id(model)} }}')
