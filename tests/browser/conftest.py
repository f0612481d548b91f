"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's
``live_server``.

- No browser download: Playwright launches the Debian ``chromium`` package through
  ``executable_path``; without it the tests are skipped with the reason.
- Playwright's sync API keeps an asyncio loop registered on the test thread while it runs,
  and Django refuses ORM calls when it sees one (SynchronousOnlyOperation). The test code
  itself is synchronous and only touches the database between page actions, so the standard
  workaround (DJANGO_ALLOW_ASYNC_UNSAFE) is safe here. It is set only while this package's
  tests run, and Playwright is stopped at the end of the package: the variable must not leak
  into other tests (``check --deploy`` rejects it) and neither must the loop.
- ``screenshot(page, name)`` saves a full-page PNG into the folder named by the environment
  variable FILIERE_SCREENSHOTS (e.g. /tmp/filiere-shots) to look at the phone layout; without
  it, it does nothing.
- ``@pytest.mark.submits("app:url_name", ...)`` declares the URL patterns accepting POST
  that a browser test submits through Chromium; tests/config/test_every_post_url.py checks
  that every such pattern of the project is declared by one browser test (or listed there,
  with its reason, as not yet covered). The declaration is verified here: every POST the
  live server receives during the test is resolved, and a declared name that was never
  posted fails the test.
- ``axe_check(page)`` injects axe-core (``axe.min.js``, committed next to this file) and fails
  on any violation of impact "serious" or "critical", listing them.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(__file__).with_name("axe.min.js")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Keep Chromium off the network: no updater, no sync, no QUIC probes.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
# The narrowest phone the site is laid out for, and a desk's screen.
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
DESK = {
    "viewport": {"width": 1280, "height": 900},
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="package")
def allow_orm_beside_playwright():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def submitted_forms(request, monkeypatch):
    """The URL names POSTed to the live server during the test (any browser context) and
    answered without refusal (no 403, 405 or server error), checked against the test's
    ``submits`` marker at the end."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.urls import Resolver404, resolve

    posted: set[str] = set()
    original = WSGIHandler.get_response

    def get_response(self, http_request):
        response = original(self, http_request)
        if (
            http_request.method == "POST"
            and response.status_code not in (403, 405)
            and (response.status_code < 500)
        ):
            try:
                posted.add(resolve(http_request.path_info).view_name)
            except Resolver404:
                posted.add(http_request.path_info)
        return response

    monkeypatch.setattr(WSGIHandler, "get_response", get_response)
    yield posted
    if log := os.environ.get("FILIERE_POSTS_LOG"):  # what each test posts, to declare it
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{request.node.nodeid}\t{' '.join(sorted(posted))}\n")
    declared = {name for mark in request.node.iter_markers("submits") for name in mark.args}
    missing = declared - posted
    assert not missing, (
        f"declared with @pytest.mark.submits but never posted successfully: {sorted(missing)}"
    )


@pytest.fixture(scope="package")
def browser(allow_orm_beside_playwright):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser context (own cookies), closed after the test."""
    context = browser.new_context(
        **PHONE,
        # axe is injected with add_script_tag, i.e. an inline <script>, which the site's
        # Content-Security-Policy (script-src 'self', no inline code) blocks. axe is a test
        # tool, not part of the site, and the CSP itself is tested elsewhere, so the browser
        # is told to ignore it here.
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(phone):
    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"JavaScript errors on the pages: {errors}"


def _page_in(browser, options):
    context = browser.new_context(**options, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


@pytest.fixture
def desk_page(browser):
    """A page in a fresh desk-sized context (1280×900), closed after the test."""
    yield from _page_in(browser, DESK)


@pytest.fixture
def small_phone_page(browser):
    """A page in a fresh context of the narrowest phone (360×740), closed after the test."""
    yield from _page_in(browser, SMALL_PHONE)


def log_in(page, base_url: str, username: str, password: str = "motdepasse-test"):
    """Through the login form, as a person does (UserFactory's password by default)."""
    page.goto(f"{base_url}/comptes/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def open_menu(page):
    """On a phone the site menu folds behind « Menu »: open it (does nothing when the menu is
    already shown, e.g. on a wide screen). The page's script folds the menu: wait for it, or
    a click that follows a navigation finds the menu unfolded, then folded."""
    page.wait_for_load_state("load")
    button = page.locator(".menu-toggle")
    if button.is_visible() and button.get_attribute("aria-expanded") == "false":
        button.click()


def format_violations(violations) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"]]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            + "\n".join(f"    {target}" for target in targets)
        )
    return "\n".join(lines)


def run_axe(page, label: str = "") -> list:
    """Run axe-core on the page; fail on serious or critical violations. Returns them all."""
    # Right after a click on a link, the new page may still be loading (no <head> yet).
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run()")
    violations = result["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    where = label or page.url
    assert not blocking, f"axe on {where}:\n{format_violations(blocking)}"
    # Shown with -s: the minor and moderate violations (not fatal) and what axe could not decide.
    print(
        f"axe on {where}: {len(result['passes'])} rules passed, "
        f"needs review: {sorted(r['id'] for r in result['incomplete'])}"
    )
    if violations:
        print(format_violations(violations))
    return violations


@pytest.fixture
def screenshot():
    folder = os.environ.get("FILIERE_SCREENSHOTS")

    def take(page, name: str):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def axe_check():
    """``axe_check(page, "label")``: see run_axe."""
    return run_axe
