"""API test helpers: a client authenticated by a token of a given scope."""

import pytest
from rest_framework.test import APIClient

from api.tokens import token_create
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory


def token_client(user, scope="pool", *, organisation=None, name=None, days=30):
    token, clear = token_create(
        user, name=name or f"jeton {scope}", scope=scope, days=days, organisation=organisation
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    client.token = token
    return client


@pytest.fixture
def api():
    """``api(user, scope)``: an API client with a fresh token of that scope."""
    return token_client


@pytest.fixture
def admin(refurbisher):
    user = UserFactory(username="admin-atelier")
    MembershipFactory(user=user, organisation=refurbisher, role="admin")
    return user


@pytest.fixture
def coordinator(db):
    org = OrganisationFactory(name="Coordination test", short_name="COORD", is_coordinator=True)
    user = UserFactory(username="coordination")
    MembershipFactory(user=user, organisation=org, role="admin")
    return user


@pytest.fixture
def funder(db):
    org = OrganisationFactory(name="Financeur test", short_name="FIN", is_funder=True)
    user = UserFactory(username="financeur")
    MembershipFactory(user=user, organisation=org, role="funder")
    return user
