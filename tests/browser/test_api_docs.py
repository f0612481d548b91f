"""The API's documentation pages render under the site's Content-Security-Policy (only this
origin, no inline code): Swagger UI and ReDoc from our own static files, no CSP violation, no
request to another origin, and Swagger UI can call the API with the browser's session."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def strict(browser):
    """A desktop context that keeps the CSP (unlike the phone fixture, which bypasses it)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = {"console": [], "errors": [], "foreign": []}
    page.on(
        "console",
        lambda message: (
            problems["console"].append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems["errors"].append(str(error)))
    page.problems = problems
    yield page
    context.close()


# ReDoc's footer shows its publisher's logo from their site: the policy blocks it, which is
# what we want (no request leaves); it is the one violation allowed.
REDOC_LOGO = "cdn.redoc.ly/redoc/logo-mini.svg"


def _no_violation(page, live_server):
    csp = [
        m
        for m in page.problems["console"]
        if ("Content Security Policy" in m or "CSP" in m) and REDOC_LOGO not in m
    ]
    assert not csp, csp
    assert not page.problems["errors"], page.problems["errors"]


def test_swagger_ui_renders_and_calls_the_api_with_the_session(strict, live_server, technician):
    page = strict
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-tag-section", timeout=20_000)
    assert page.locator(".info .title").inner_text().startswith("API Filière")
    assert page.locator(".opblock").count() > 20
    assert all(url.startswith(live_server.url) for url in requested), [
        u for u in requested if not u.startswith(live_server.url)
    ]
    _no_violation(page, live_server)


def test_redoc_renders(strict, live_server):
    page = strict
    requested = []
    # A request the policy blocks fails before leaving: only finished ones reached a server.
    page.on("requestfinished", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/v1/redoc/")
    page.get_by_role("heading", name="API Filière").wait_for(timeout=20_000)
    page.locator("h2", has_text="Appareils visibles").first.wait_for()
    foreign = [url for url in requested if not url.startswith((live_server.url, "blob:", "data:"))]
    assert not foreign, foreign
    _no_violation(page, live_server)
