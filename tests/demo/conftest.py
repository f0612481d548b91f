"""The demo, built once for the tests of this package inside a transaction rolled back at the
end (package scope: the tests of other packages never see it)."""

import pytest
from django.db import transaction
from django.utils import timezone


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    from demo.builder import load_demo

    with django_db_blocker.unblock(), transaction.atomic():
        summary = load_demo()
        summary["now"] = timezone.now()
        yield summary
        transaction.set_rollback(True)
