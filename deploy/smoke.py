"""The smoke journey of ``make prod-check``: a browser's path through nginx and gunicorn,
with a real HTTP client (requests), cookies and CSRF as a browser sends them (the token
from the form, the Origin and Referer headers).

technicien: log in, open the scan page and look up a code, run a transition, log out;
equipe: import a small donor list (analysed and imported by the Celery worker);
financeur: build a report's full PDF (by the worker) and download it.
"""

import re
import time
from collections.abc import Callable
from html import unescape
from urllib.parse import urljoin

import requests

DEMO_PASSWORD = "filiere-demo"  # noqa: S105 - the demo accounts' documented password
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DEVICE_LINK = re.compile(r'href="/e/(FIL-[0-9A-Z]+)/"')
STATUS = re.compile(r'id="import-status".*?<strong>([^<]+)</strong>', re.S)

Log = Callable[[str], None]


class JourneyFailed(AssertionError):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise JourneyFailed(message)


class Browser:
    """A requests session that behaves like a browser on forms."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "filiere-prod-check"
        self.last_url = self.base + "/"

    def url(self, path: str) -> str:
        return urljoin(self.base + "/", path.lstrip("/"))

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.session.get(self.url(path), timeout=30, **kwargs)
        self.last_url = response.url
        return response

    def post_form(
        self, path: str, data: dict, *, page: str | None = None, files=None, allow_redirects=True
    ) -> requests.Response:
        """Post a form the way a browser does: the CSRF token read from the page that shows
        the form, Origin and Referer set to that page."""
        source = self.get(page or path)
        check(source.status_code == 200, f"GET {page or path}: {source.status_code}")
        token = CSRF_INPUT.search(source.text)
        check(token, f"no CSRF token on {page or path}")
        headers = {"Origin": self.base, "Referer": source.url}
        response = self.session.post(
            self.url(path),
            data={"csrfmiddlewaretoken": token[1], **data},
            files=files,
            headers=headers,
            timeout=60,
            allow_redirects=allow_redirects,
        )
        self.last_url = response.url
        return response

    def login(self, username: str) -> None:
        response = self.post_form(
            "/comptes/login/", {"username": username, "password": DEMO_PASSWORD, "next": "/"}
        )
        check(response.status_code == 200, f"login {username}: {response.status_code}")
        check("sessionid" in self.session.cookies, f"login {username}: no session cookie")
        check("Se déconnecter" in response.text, f"login {username}: not logged in")

    def logout(self) -> None:
        response = self.post_form("/comptes/logout/", {}, page="/")
        check(response.status_code == 200, f"logout: {response.status_code}")
        check("sessionid" not in self.session.cookies, "logout: the session cookie stayed")
        again = self.get("/appareils/", allow_redirects=False)
        check(
            again.status_code == 302 and "/comptes/login/" in again.headers["Location"],
            "after logout the device list is still open",
        )


def wait_until(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise JourneyFailed(f"{what}: not done after {timeout:.0f} s")


def technician_journey(base: str, log: Log) -> None:
    browser = Browser(base)
    browser.login("technicien")
    log("technicien: logged in")
    listing = browser.get("/appareils/?state=registered")
    codes = DEVICE_LINK.findall(listing.text)
    check(codes, "no registered device on the device list")
    code = codes[0]
    # The scan page: type the code, land on the device page.
    scanned = browser.post_form("/scan/", {"code": code.lower()})
    check(
        scanned.status_code == 200 and scanned.url.endswith(f"/e/{code}/"),
        f"scan of {code} did not open its page ({scanned.status_code} {scanned.url})",
    )
    log(f"technicien: scanned {code}")
    done = browser.post_form(
        f"/e/{code}/action/start_triage/",
        {"expected_state": "registered", "note": "prod-check"},
    )
    check(done.url.endswith(f"/e/{code}/"), f"transition: ended on {done.url}")
    check("En diagnostic" in unescape(done.text), "transition: the device is not in triage")
    log(f"technicien: {code} registered -> triage")
    browser.logout()
    log("technicien: logged out")


DONOR_LIST = (
    "N° de série;Marque;Modèle;Catégorie;Processeur;Mémoire (Go);Disque\n"
    "PCHK{n}01;LENOVO;ThinkPad T480;Ordinateur portable;Intel Core i5-8350U;8;SSD 256 Go\n"
    "PCHK{n}02;LENOVO;ThinkPad T480;Ordinateur portable;Intel Core i5-8350U;16;NVMe 512 Go\n"
    "PCHK{n}03;Dell;OptiPlex 7050;Unité centrale;Intel Core i5-7500;8;HDD 500 Go\n"
    "PCHK{n}04;Samsung;Galaxy Tab A;Tablette;;2;eMMC 32 Go\n"
    "PCHK{n}05;HP;EliteDisplay E243;Écran;;;\n"
)


def import_status(browser: Browser, job_url: str) -> str:
    page = browser.get(job_url)
    match = STATUS.search(page.text)
    return unescape(match[1]).strip().lower() if match else ""


def staff_journey(base: str, log: Log) -> int:
    """Import a five-row donor list; returns the import job's id."""
    browser = Browser(base)
    browser.login("equipe")
    start = browser.get("/appareils/import/")
    donation = re.search(r'<select name="donation"[^>]*>.*?<option value="(\d+)"', start.text, re.S)
    check(donation, "no donation open for registration on the import page")
    content = DONOR_LIST.format(n=int(time.time()) % 100000).encode("utf-8")
    uploaded = browser.post_form(
        "/appareils/import/",
        {"donation": donation[1]},
        files={"file": ("inventaire.csv", content, "text/csv")},
    )
    job = re.search(r"/appareils/import/(\d+)/", uploaded.url)
    check(job, f"upload: ended on {uploaded.url} ({uploaded.status_code})")
    job_url = f"/appareils/import/{job[1]}/"
    status = wait_until(
        lambda: (s := import_status(browser, job_url)) not in ("", "analyse en cours") and s,
        timeout=60,
        what="analysis by the worker",
    )
    check(status == "aperçu prêt", f"analysis: {status!r}")
    log(f"equipe: list analysed by the worker (job {job[1]})")
    browser.post_form(f"{job_url}importer/", {}, page=job_url)
    status = wait_until(
        lambda: (s := import_status(browser, job_url)) not in ("", "import en cours") and s,
        timeout=60,
        what="import by the worker",
    )
    check(status == "importé", f"import: {status!r}")
    log("equipe: 5 devices imported by the worker")
    browser.logout()
    return int(job[1])


def funder_journey(base: str, log: Log) -> int:
    """Ask for a report's full PDF, wait for the worker, download it; returns its size."""
    browser = Browser(base)
    browser.login("financeur")
    index = browser.get("/rapports/")
    report = re.search(r'href="(/rapports/(?:gisement|don|donateur)/\d+/)"', index.text)
    check(report, "no report on the reports page")
    started = browser.post_form(f"{report[1]}complet/", {}, page=report[1])
    job = re.search(r"/rapports/travaux/(\d+)/", started.url)
    check(job, f"report job: ended on {started.url}")
    pdf_link = f"/rapports/travaux/{job[1]}/pdf/"
    wait_until(
        lambda: pdf_link in browser.get(f"/rapports/travaux/{job[1]}/").text,
        timeout=90,
        what="report PDF by the worker",
    )
    pdf = browser.get(pdf_link)
    check(pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), "the report is no PDF")
    log(f"financeur: report PDF built by the worker ({len(pdf.content) // 1024} KB)")
    browser.logout()
    return len(pdf.content)


def proxy_checks(base: str, log: Log) -> None:
    """What nginx adds: static files with long cache and gzip, the upload limit."""
    browser = Browser(base)
    login = browser.get("/comptes/login/")
    css = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', login.text)
    check(css, "the pages do not link hashed static files (collectstatic, manifest)")
    static = browser.session.get(browser.url(css[1]), headers={"Accept-Encoding": "gzip"})
    check(static.status_code == 200, f"static file: {static.status_code}")
    check(
        "max-age=31536000" in static.headers.get("Cache-Control", ""),
        f"static file cache: {static.headers.get('Cache-Control')!r}",
    )
    check(static.headers.get("Content-Encoding") == "gzip", "static file not compressed")
    check(browser.get("/media/").status_code == 404, "media files are served straight")
    too_big = browser.session.post(
        browser.url("/appareils/import/"),
        data=b"x" * (22 << 20),
        headers={"Content-Type": "application/octet-stream"},
    )
    check(too_big.status_code == 413, f"22 MB upload: {too_big.status_code}, not 413")
    health = browser.get("/health/")
    check(health.status_code == 200 and health.json() == {"status": "ok"}, "/health/")
    ready = browser.get("/ready/")
    check(ready.status_code == 200, f"/ready/: {ready.status_code} {ready.text[:300]}")
    log("nginx: static cached a year and gzipped, media not exposed, 22 MB refused (413)")


def run(base: str, log: Log) -> dict:
    proxy_checks(base, log)
    technician_journey(base, log)
    job = staff_journey(base, log)
    size = funder_journey(base, log)
    return {"import_job": job, "report_pdf_bytes": size}
