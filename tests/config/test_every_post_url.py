"""Every URL pattern that accepts POST has a browser test that submits it through Chromium.

The Django test client sends no ``Origin`` header, applies no CSS and runs no JavaScript, so a
form can pass every test and still fail in a browser (issue 12: « Créer le lien » answered
403 in Chromium). The browser tests declare what they submit with
``@pytest.mark.submits("app:url_name", …)``, and tests/browser/conftest.py checks, while
they run, that each declared pattern really received a POST that was not refused.

This test reads the URL resolver: a pattern accepts POST when its view says so
(``require_POST``, ``require_http_methods``, a class-based view with ``post``) or, for a
plain function view, when its code reads ``request.POST``/``request.FILES``/
``request.method``. Each such pattern must be declared by a browser test, or listed below in
``NOT_YET_IN_A_BROWSER`` with the reason (empty since issue 12), or in ``SHADOWED`` when no
request can reach it — never left out silently. The list shrinks as
browser tests are written; a pattern listed here that a browser test declares fails the test
until it is taken off the list.

Run without Chromium: it imports the browser test modules only to read their markers.
"""

import importlib
import inspect
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import RedirectView

ROOT = Path(__file__).resolve().parents[2]

# The REST API (api/v1/) is for software (the agent, an ERP): token authentication and JSON
# bodies, no form of the site posts to it. It is tested through its schema (schemathesis)
# and tests/api, not in a browser.
API_REASON = "REST API for software (token, JSON): no browser form; tests/api and schemathesis"
# The stock views of Django's admin (add, change, delete, the changelist's actions) are the
# same code for every model; the site's own admin pages are listed one by one below.
ADMIN_STOCK = re.compile(r"^admin:\w+_(add|change|delete|changelist)$")
ADMIN_REASON = (
    "Django's stock ModelAdmin view, the same code for every model (tested by Django); the "
    "admin's Referrer-Policy and CSRF are the site's"
)

# pattern name -> why no browser test submits it yet. Shrink it.
NOT_YET_IN_A_BROWSER: dict[str, str] = {}
# Patterns no request reaches: an earlier pattern answers their address (proved by
# test_shadowed_patterns_are_answered_by_the_earlier_one).
SHADOWED: dict[str, str] = {
    "admin:login": "admin/login/ redirects to the site's login first (config/urls.py)",
}


def _patterns() -> list[tuple[str, str, object]]:
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                found.append((prefix + str(entry.pattern), name or "", entry.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


_READS_POST = re.compile(r"request\.POST|request\.FILES|request\.method|[\"']POST[\"']")


def accepts_post(callback) -> bool:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None and issubclass(view_class, RedirectView):
        return False  # answers any method with a redirect; changes nothing
    if view_class is not None:
        return "post" in view_class.http_method_names and hasattr(view_class, "post")
    function = callback
    while True:
        # require_http_methods(["GET", "POST"]) keeps its list in the wrapper's closure.
        for cell in getattr(function, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple | set | frozenset)
                and value
                and all(isinstance(item, str) and item.isupper() for item in value)
            ):
                return "POST" in value
        wrapped = getattr(function, "__wrapped__", None)
        if wrapped is None:
            break
        function = wrapped
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return True  # cannot tell: count it, so it is looked at
    # The admin's add and change views post their form (a mixin such as django-fsm's may
    # override them with code that never names POST).
    if getattr(function, "__name__", "") in {
        "add_view",
        "change_view",
        "changeform_view",
        "delete_view",
    }:
        return True
    return bool(_READS_POST.search(source))


def post_patterns() -> dict[str, str]:
    """name (or route when unnamed) -> route, for every pattern accepting POST."""
    found = {}
    for route, name, callback in _patterns():
        if accepts_post(callback):
            found[name or route] = route
    return found


def declared_in_browser_tests() -> dict[str, list[str]]:
    """URL name -> the browser tests that declare submitting it."""
    declared: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests" / "browser").glob("test_*.py")):
        module = importlib.import_module(f"tests.browser.{path.stem}")
        for name, function in vars(module).items():
            if not name.startswith("test_") or not callable(function):
                continue
            for mark in getattr(function, "pytestmark", []):
                if mark.name == "submits":
                    for url_name in mark.args:
                        declared.setdefault(url_name, []).append(f"{path.stem}::{name}")
    return declared


def _reason(name: str, route: str) -> str | None:
    if route.startswith("api/v1/"):
        return API_REASON
    if ADMIN_STOCK.match(name):
        return ADMIN_REASON
    return NOT_YET_IN_A_BROWSER.get(name) or SHADOWED.get(name)


def test_shadowed_patterns_are_answered_by_the_earlier_one(client):
    from django.urls import resolve, reverse

    for name in SHADOWED:
        address = reverse(name)
        assert resolve(address).url_name != name.split(":")[-1], name
        response = client.post(address, {"username": "x", "password": "y"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login")), name


def test_every_post_url_is_submitted_by_a_browser_test_or_listed_with_its_reason():
    posts = post_patterns()
    declared = declared_in_browser_tests()
    assert len(posts) > 80, sorted(posts)  # the resolver was read
    missing = sorted(
        f"{name} ({route})"
        for name, route in posts.items()
        if name not in declared and _reason(name, route) is None
    )
    assert not missing, (
        "URL patterns accepting POST that no browser test submits "
        "(add @pytest.mark.submits to a test in tests/browser/, or list them with a reason "
        "in NOT_YET_IN_A_BROWSER):\n" + "\n".join(missing)
    )
    covered_yet_listed = sorted(set(NOT_YET_IN_A_BROWSER) & set(declared))
    assert not covered_yet_listed, f"now submitted by a browser test: {covered_yet_listed}"
    unknown = sorted((set(NOT_YET_IN_A_BROWSER) | set(SHADOWED)) - set(posts))
    assert not unknown, f"listed but no such POST pattern: {unknown}"
    declared_unknown = sorted(set(declared) - set(posts))
    assert not declared_unknown, f"declared by browser tests but accept no POST: {declared_unknown}"
    uncovered = [name for name, route in posts.items() if name not in declared]
    print(  # noqa: T201
        f"{len(posts)} POST patterns: {len(set(posts) & set(declared))} submitted by a browser "
        f"test; not yet: {len(NOT_YET_IN_A_BROWSER)} listed, "
        f"{sum(1 for n in uncovered if posts[n].startswith('api/v1/'))} REST API, "
        f"{sum(1 for n in uncovered if ADMIN_STOCK.match(n))} stock admin views"
    )
