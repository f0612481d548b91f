"""The users of the load test (locust, headless, against 127.0.0.1 only).

Run by ``bench/load/run.py``; reads what ``setup.py`` prepared from LOAD_DATA (JSON).

- ``Technician`` (weight 6, 5-15 s between labels): scans a label (scan page, code, the
  device page it opens), one time in five then moves the device to another shelf.
- ``Team`` (2, 10-30 s): opens an approved request's allocation page (the suggestions),
  reserves one of the suggested devices, then releases it (the next user finds it ready).
- ``Prescriber`` (1, 20-60 s): opens a household's request form and sends a request.
- ``Funder`` (1, 30-90 s): opens the big gisement's report.
- ``Scanner`` (0.05-0.15 s): scan lookups only (not the device page), for ``http_scan_rps``.

Every form is posted the way a browser does: the CSRF token from the page, Origin and
Referer. A refusal shown to the user (a device taken by someone else meanwhile) is not an
error; a status of 500 or a timeout is.
"""

import itertools
import json
import os
import random
import re
from urllib.parse import urlsplit

from locust import FastHttpUser, between, task
from requests.cookies import create_cookie

DATA = json.loads(open(os.environ["LOAD_DATA"], encoding="utf-8").read())  # noqa: SIM115
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUGGESTED = re.compile(r'name="device" value="(\d+)"')
HOUSEHOLDS = itertools.cycle(DATA["households"])
REQUESTS = list(DATA["approved_requests"])
FREE_REQUESTS = list(REQUESTS)
SESSIONS = {account: itertools.cycle(keys) for account, keys in DATA["sessions"].items()}


class BrowserUser(FastHttpUser):
    abstract = True
    account = ""
    connection_timeout = 30
    network_timeout = 60

    def csrf(self, html: str) -> str:
        match = CSRF.search(html)
        return match[1] if match else ""

    def post_form(self, path: str, token: str, data: dict, *, referer: str, name: str):
        return self.client.post(
            path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Origin": self.host, "Referer": self.host + referer},
            name=name,
            allow_redirects=False,
        )

    def on_start(self):
        # A session opened before the run (run.py): the figures are of the work, not of a
        # login storm (PBKDF2 costs a third of a second of CPU by design).
        key = next(SESSIONS[self.account])
        self.client.cookiejar.set_cookie(
            create_cookie("sessionid", key, domain=urlsplit(self.host).hostname, path="/")
        )


class Technician(BrowserUser):
    weight = 6
    account = "technician"
    # Between two labels a technician handles the device (unpacks, tests, shelves it).
    wait_time = between(5, 15)

    def scan(self) -> str:
        code = random.choice(DATA["codes"])
        page = self.client.get("/scan/", name="scan page")
        response = self.post_form(
            "/scan/", self.csrf(page.text), {"code": code}, referer="/scan/", name="scan lookup"
        )
        if response.status_code == 302:
            self.client.get(f"/e/{code}/", name="device page")
        return code

    @task(4)
    def scan_a_label(self):
        self.scan()

    @task(1)
    def move_a_device(self):
        code = self.scan()
        page = self.client.get(f"/e/{code}/", name="device page")
        self.post_form(
            f"/e/{code}/deplacer/",
            self.csrf(page.text),
            {"location": random.choice(DATA["locations"])},
            referer=f"/e/{code}/",
            name="move",
        )


class Scanner(BrowserUser):
    """Scan lookups only, for ``http_scan_rps``: the scan page stays open and each label read
    posts its code; the answer is the lookup's (the address of the device page, or the
    reason it is refused in place). The device page it leads to is the Technician's and
    the ``device_detail`` benchmark's. Run on its own (run.py names the classes of each
    scenario)."""

    account = "technician"
    wait_time = between(0.05, 0.15)

    def on_start(self):
        super().on_start()
        self.token = self.csrf(self.client.get("/scan/", name="scan page").text)

    @task
    def lookup(self):
        code = random.choice(DATA["codes"])
        with self.client.post(
            "/scan/",
            data={"csrfmiddlewaretoken": self.token, "code": code},
            headers={"Origin": self.host, "Referer": self.host + "/scan/"},
            name="scan lookup",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Every code is one of the technician's devices: anything but the way to its
            # page is an error.
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(
                f"/e/{code}/"
            ):
                response.failure(f"lookup answered {response.status_code}")


class Team(BrowserUser):
    weight = 2
    account = "staff"
    wait_time = between(10, 30)

    @task
    def allocate_and_release(self):
        if not FREE_REQUESTS:
            return
        pk = FREE_REQUESTS.pop(random.randrange(len(FREE_REQUESTS)))
        try:
            page = self.client.get(f"/demandes/{pk}/attribuer/", name="allocation page")
            suggested = SUGGESTED.findall(page.text)
            if not suggested:
                return
            token = self.csrf(page.text)
            response = self.post_form(
                f"/demandes/{pk}/attribuer/",
                token,
                {"device": random.choice(suggested)},
                referer=f"/demandes/{pk}/attribuer/",
                name="allocate",
            )
            if response.status_code == 302:
                self.post_form(
                    f"/demandes/{pk}/liberer/",
                    token,
                    {},
                    referer=f"/demandes/{pk}/",
                    name="release",
                )
        finally:
            FREE_REQUESTS.append(pk)


class Prescriber(BrowserUser):
    weight = 1
    account = "prescriber"
    wait_time = between(20, 60)

    @task
    def request_a_device(self):
        household = next(HOUSEHOLDS)
        page = self.client.get(f"/dossiers/{household}/demande/", name="request form")
        check = re.search(r'name="eligibility"[^>]*>.*?<option value="(\d+)"', page.text, re.S)
        if not check:
            return
        self.post_form(
            f"/dossiers/{household}/demande/",
            self.csrf(page.text),
            {
                "refurbisher": DATA["refurbisher_id"],
                "device_kind": "laptop",
                "purpose": "procedures",
                "mode": "loan",
                "urgency": "0",
                "eligibility": check[1],
                "consent_informed": "on",
                "submit": "1",
            },
            referer=f"/dossiers/{household}/demande/",
            name="create request",
        )


class Funder(BrowserUser):
    weight = 1
    account = "funder"
    wait_time = between(30, 90)

    @task
    def open_the_report(self):
        self.client.get(f"/rapports/gisement/{DATA['gisement_id']}/", name="gisement report")
