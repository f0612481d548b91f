"""Every page of every demo role, in Chromium, at phone size (360×740) and desktop size
(1366×900): no page scrolls sideways, no text of a table cell overlaps another's, no device
code (FIL-…) is broken over two lines, and axe-core finds nothing serious or critical — the
admin included.

The pages are the GET URL patterns of the resolver filled with the demo data, as the URL
walker does (tests/config/test_every_get_url.py, ``_build_world``/``_paths``): a page added
tomorrow is crawled too. For each role the pages it may open (200, HTML) are found first
with Django's test client (fast, in process), then Chromium opens each one at both sizes.

Bounded in time (it runs in CI on SQLite and on PostgreSQL): one browser, one demo database,
one live server, one browser context per role and size; axe runs once per address (at phone
size, by the first role that opens it) plus on every role's home page, since the page's
content is what axe judges and the menu is the same component everywhere.

``make screenshots`` runs this test with FILIERE_SCREENSHOTS set: a full-page PNG of every
page of every role at both sizes lands in that folder.
"""

import os
import re
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from .conftest import AXE_JS, BLOCKING_IMPACTS, format_violations

pytestmark = [pytest.mark.browser]

DEMO_ROLES = tuple(
    os.environ.get("FILIERE_CRAWL_ROLES", "").split(",")
    if os.environ.get("FILIERE_CRAWL_ROLES")
    else ("technicien", "equipe", "prescripteur", "animateur", "financeur", "fondation", "admin")
)
SIZES = {
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
# Addresses that answer with a file, a redirect elsewhere or a stream, not a page.
NOT_PAGES = re.compile(
    r"(\.pdf|\.csv|\.json|\.xlsx|\.svg|\.png|/pdf/|/csv/|/xlsx/|/annexe/|/export|/telecharger/"
    r"|/schema|/ready/|/health/|/logout/)"
)

LAYOUT_CHECK = r"""
() => {
  const doc = document.documentElement;
  const result = {scroll: doc.scrollWidth, client: doc.clientWidth, inner: window.innerWidth,
                  overlaps: [], wrapped: []};
  // The boxes of a cell's visible text (text hidden for screen readers only is skipped).
  const textBox = (cell) => {
    const rects = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let text;
    while ((text = walker.nextNode())) {
      if (!text.data.trim()) continue;
      const parent = text.parentElement;
      if (parent.closest(".visually-hidden, [hidden], [aria-hidden='true']")) continue;
      const box = parent.getBoundingClientRect();
      if (box.width < 2 || box.height < 2) continue;
      const range = document.createRange();
      range.selectNodeContents(text);
      for (const r of range.getClientRects()) {
        if (r.width > 0.5 && r.height > 0.5 && r.right > -1000) rects.push(r);
      }
    }
    return rects;
  };
  // What sticks out on the right of the screen: the first few elements, to fix them.
  const width = doc.clientWidth;
  result.culprits = [...document.body.querySelectorAll("*")]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      return r.right > width + 1 && r.width > 0 && !el.closest(".table-scroll, .visually-hidden");
    })
    .slice(0, 4)
    .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\s+/).join(".") : "") +
      ` (${Math.round(el.getBoundingClientRect().right)})`);
  for (const table of document.querySelectorAll("table")) {
    if (!table.offsetParent && getComputedStyle(table).position !== "fixed") continue;
    const cells = [...table.querySelectorAll("th, td")].slice(0, 600);
    const boxes = [];
    for (const cell of cells) {
      if (!cell.textContent.trim()) continue;
      for (const rect of textBox(cell)) boxes.push({cell, rect});
    }
    boxes.sort((a, b) => a.rect.top - b.rect.top);
    for (let i = 0; i < boxes.length && result.overlaps.length < 5; i++) {
      const a = boxes[i];
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j];
        if (b.rect.top >= a.rect.bottom - 1) break;
        if (a.cell === b.cell || a.cell.contains(b.cell) || b.cell.contains(a.cell)) continue;
        const x = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
        const y = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
        if (x > 1 && y > 1) {
          result.overlaps.push(
            a.cell.textContent.trim().slice(0, 40) + " / " + b.cell.textContent.trim().slice(0, 40)
          );
          break;
        }
      }
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const code = /FIL-[A-Z0-9]{4,}/g;
  let node;
  while ((node = walker.nextNode()) && result.wrapped.length < 5) {
    for (const match of node.data.matchAll(code)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                                                         .map((r) => Math.round(r.top)));
      if (tops.size > 1) result.wrapped.push(match[0]);
    }
  }
  return result;
}
"""


# Problems known and not fixed yet, said here with their reason (never hidden): (kind, path
# pattern, axe rule or "" , reason). Everything else fails the test. Shrink it.
KNOWN_PROBLEMS: tuple[tuple[str, str, str, str], ...] = ()


def _known(kind: str, path: str, detail: str) -> str | None:
    for known_kind, path_pattern, detail_pattern, reason in KNOWN_PROBLEMS:
        if (
            kind == known_kind
            and re.search(path_pattern, path)
            and re.search(detail_pattern, detail)
        ):
            return reason
    return None


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker, live_server):
    """The demo world of the URL walker, committed for the live server, flushed at the end."""
    from tests.config.test_every_get_url import _build_world, _fill, every_pattern

    with django_db_blocker.unblock():
        started = time.monotonic()
        world = _build_world()
        from acteurs.models import User

        users = {role: User.objects.get(username=role) for role in DEMO_ROLES}
        print(f"demo built in {time.monotonic() - started:.0f} s")  # noqa: T201
        paths, unfilled = set(), []
        for pattern in every_pattern():
            # The REST API answers JSON, not pages (its browsable pages are elsewhere).
            if pattern.route.startswith("api/v1/"):
                continue
            try:
                path = _fill(pattern, world)
            except AssertionError:
                unfilled.append(pattern.name or pattern.route)
                continue
            if path is not None and not NOT_PAGES.search(path):
                paths.add(path)
        paths = sorted(paths)
        # Said, not hidden: patterns the URL walker has no sample for are not crawled.
        print(f"no sample parameters, not crawled: {unfilled}")  # noqa: T201
        pages = {}
        for role, user in users.items():
            client = Client(raise_request_exception=False)
            client.force_login(user)
            # Only staff accounts may open the admin: the others' answers are redirects.
            pages[role] = [
                path
                for path in paths
                if (user.is_staff or not path.startswith("/admin/")) and _is_page(client.get(path))
            ]

        print(  # noqa: T201
            f"pages found in {time.monotonic() - started:.0f} s: "
            f"{ {role: len(found) for role, found in pages.items()} }"
        )
        sessions = {}
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            sessions[role] = client.cookies["sessionid"].value
        print(f"demo built and pages found in {time.monotonic() - started:.0f} s")  # noqa: T201
        try:
            yield pages, sessions
        finally:
            call_command("flush", interactive=False, verbosity=0)


def _is_page(response) -> bool:
    """A whole HTML page (not a file, not an htmx fragment such as a list of options)."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and b"<html" in response.content[:600].lower()
    )


def _axe(page) -> list:
    page.add_script_tag(path=str(AXE_JS))
    # Only the violations are collected (not the passes): the same findings, in less time.
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def test_every_page_of_every_role_fits_a_phone_and_passes_axe(browser, live_server, demo_site):
    pages, sessions = demo_site
    folder = os.environ.get("FILIERE_SCREENSHOTS")
    started = time.monotonic()
    problems: dict[str, list[str]] = defaultdict(list)
    axed: set[str] = set()
    visits = 0
    known: set[tuple[str, str]] = set()
    for size, options in SIZES.items():
        for role in DEMO_ROLES:
            context = browser.new_context(
                **options, locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=True
            )
            context.set_default_timeout(15_000)
            context.add_cookies(
                [{"name": "sessionid", "value": sessions[role], "url": live_server.url}]
            )
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            for path in pages[role]:
                where = f"{role} {size} {path}"
                response = page.goto(live_server.url + path, wait_until="load")
                visits += 1
                if response is None or response.status != 200:
                    problems["status"].append(f"{where}: {response and response.status}")
                    continue
                layout = page.evaluate(LAYOUT_CHECK)
                width = options["viewport"]["width"]
                if layout["scroll"] > layout["client"] or layout["inner"] > width:
                    problems["sideways"].append(
                        f"{where}: scrollWidth {layout['scroll']} > {layout['client']}"
                        f" (inner {layout['inner']}): {layout['culprits']}"
                    )
                if layout["overlaps"]:
                    problems["overlap"].append(f"{where}: {layout['overlaps'][:3]}")
                if layout["wrapped"]:
                    if _known("code wrapped", path, "") is None:
                        problems["code wrapped"].append(f"{where}: {layout['wrapped'][:3]}")
                    else:
                        known.add(("code wrapped", path))
                if size == "phone" and (path not in axed or path == "/"):
                    axed.add(path)
                    blocking = _axe(page)
                    if blocking:
                        new = [v for v in blocking if _known("axe", path, v["id"]) is None]
                        known.update(("axe", f"{path} {v['id']}") for v in blocking if v not in new)
                        if new:
                            problems["axe"].append(f"{where}:\n{format_violations(new)}")
                if folder:
                    name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "accueil"
                    target = Path(folder) / size / role
                    target.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(target / f"{name}.png"), full_page=True)
            print(f"{size} {role}: {time.monotonic() - started:.0f} s")  # noqa: T201
            if errors:
                problems["javascript"].append(f"{role} {size}: {errors[:3]}")
            context.close()
    duration = time.monotonic() - started
    counts = {role: len(paths) for role, paths in pages.items()}
    print(  # noqa: T201
        f"crawl: {visits} page visits ({counts} per role, 2 sizes), axe on {len(axed)} pages, "
        f"{duration:.0f} s; problems: { {kind: len(found) for kind, found in problems.items()} }; "
        f"known and listed: {len(known)} {sorted(known)}"
    )
    assert all(counts.values()), counts
    report = "\n".join(
        f"== {kind} ({len(found)})\n" + "\n".join(found[:60]) for kind, found in problems.items()
    )
    assert not problems, report
