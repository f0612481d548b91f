#!/usr/bin/env python3
"""Agent d'enregistrement Filière : un seul fichier, Python 3 et sa bibliothèque standard.

Run on a donated computer booted from a live USB stick (as root), it reads the device's code
(typed or scanned), collects ``lshw -json``, ``smartctl -j -a`` for each disk and
``dmidecode`` when present, and sends them to Filière with an agent token; it prints in
French what the server filled in and what is still missing. ``--erase`` runs nwipe with the
method the organisation chose and sends its log (one erasure record per disk, matched by
serial); ``--nwipe-log`` sends an existing log. Without a network it writes a bundle next to
itself (on the stick) that the device page or ``--send-bundle`` delivers later.

Usage (docs/guides/technicien.md):

    sudo python3 filiere_agent.py                      # code asked, reports sent
    sudo python3 filiere_agent.py --code FIL-7K3QX9A --erase
    python3 filiere_agent.py --send-bundle filiere-FIL-7K3QX9A-20261203-101500.json

Settings: ``--server``/``--token``, or the environment (``FILIERE_SERVER``,
``FILIERE_TOKEN``), or a ``filiere_agent.conf`` file beside this one with ``server=…`` and
``token=…`` lines.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

VERSION = "1.0"
BUNDLE_FORMAT = "filiere-agent-bundle"
TOOL_TIMEOUT_S = 180
HTTP_TIMEOUT_S = 60
# Disks the agent never reports nor wipes: the live stick, RAM disks, optical drives.
SKIPPED_TRANSPORTS = {"usb"}
SKIPPED_NAME = re.compile(r"^(loop|zram|ram|sr|fd)\d*")
# A code as printed on the label, or the URL its QR code holds (…/e/FIL-XXXXXXX/).
CODE_IN_TEXT = re.compile(r"FIL[-\s]?[0-9A-Z]{6,8}", re.IGNORECASE)

RESULTS = {"erased": "effacé", "failed": "échec", "aborted": "interrompu"}
FIELD_LABELS = {
    "brand": "marque",
    "model": "modèle",
    "serial": "numéro de série",
    "cpu": "processeur",
    "ram_gb": "mémoire vive (Go)",
}


class AgentError(Exception):
    """A refusal or a failure to tell the technician, in French."""


class Offline(Exception):
    """The server cannot be reached: write a bundle instead."""


def say(text: str = "") -> None:
    print(text, flush=True)


# --- settings ---------------------------------------------------------------------------------


def read_conf(path: Path) -> dict:
    values = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                values[key.strip().lower()] = value.strip()
    return values


def settings_from(args) -> tuple[str, str]:
    conf = read_conf(
        Path(args.conf) if args.conf else Path(__file__).with_name("filiere_agent.conf")
    )
    server = args.server or os.environ.get("FILIERE_SERVER") or conf.get("server", "")
    token = args.token or os.environ.get("FILIERE_TOKEN") or conf.get("token", "")
    return server.rstrip("/"), token


# --- the device's code ------------------------------------------------------------------------


def read_code(given: str | None) -> str:
    text = given
    while not text:
        try:
            text = input("Code de l'appareil (tapez-le ou scannez l'étiquette) : ").strip()
        except EOFError:
            raise AgentError("Aucun code saisi.") from None
    match = CODE_IN_TEXT.search(text)
    if match:
        return match.group(0).upper().replace(" ", "-")
    # Anything else (an id, a code without its prefix): the server reads it forgivingly.
    return text.strip().upper()


# --- collecting -------------------------------------------------------------------------------


def run_tool(command: list[str]) -> tuple[int, str, str] | None:
    """(exit status, stdout, stderr), or None when the tool is not installed."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, "", str(error)
    return (
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def list_disks(notes: list[str]) -> list[dict]:
    """The machine's own disks (not the USB stick it booted from), from lsblk."""
    result = run_tool(["lsblk", "-J", "-d", "-o", "NAME,TYPE,TRAN,SERIAL,MODEL,SIZE,RM"])
    if result is None or result[0] != 0:
        notes.append("lsblk indisponible : la liste des disques n'a pas pu être lue.")
        return []
    try:
        devices = json.loads(result[1]).get("blockdevices", [])
    except ValueError:
        notes.append("Sortie de lsblk illisible.")
        return []
    disks = []
    for device in devices:
        name = device.get("name") or ""
        if device.get("type") != "disk" or SKIPPED_NAME.match(name):
            continue
        if (device.get("tran") or "") in SKIPPED_TRANSPORTS:
            continue
        disks.append(
            {
                "path": "/dev/" + name,
                "serial": (device.get("serial") or "").strip(),
                "model": (device.get("model") or "").strip(),
                "size": device.get("size") or "",
            }
        )
    return disks


def collect(notes: list[str]) -> tuple[dict, list[dict]]:
    """The reports of this machine, as the server's evidence endpoint takes them."""
    evidence: dict = {"agent_version": VERSION}
    lshw = run_tool(["lshw", "-json"])
    if lshw is None:
        notes.append("lshw absent : installez le paquet lshw pour relever le matériel.")
    elif lshw[0] != 0 or not lshw[1].strip():
        notes.append(f"lshw a échoué (code {lshw[0]}) : {lshw[2].strip()[:200]}")
    else:
        try:
            evidence["lshw"] = json.loads(lshw[1])
        except ValueError:
            # Older lshw writes several objects: the server reads that text as it is.
            evidence["lshw"] = lshw[1]
    disks = list_disks(notes)
    smart = []
    if shutil.which("smartctl") is None:
        notes.append(
            "smartctl absent : installez smartmontools (état de santé et numéros de série "
            "des disques)."
        )
    else:
        for disk in disks:
            result = run_tool(["smartctl", "-j", "-a", disk["path"]])
            if result is None:
                continue
            try:
                data = json.loads(result[1])
            except ValueError:
                notes.append(f"smartctl {disk['path']} : sortie illisible.")
                continue
            smart.append(data)
            if not disk["serial"] and data.get("serial_number"):
                disk["serial"] = str(data["serial_number"]).strip()
            messages = (data.get("smartctl") or {}).get("messages") or []
            errors = [m.get("string", "") for m in messages if m.get("severity") == "error"]
            if errors:
                notes.append(f"smartctl {disk['path']} : {'; '.join(errors)}")
    if smart:
        evidence["smartctl"] = smart
    dmi = run_tool(["dmidecode"])
    if dmi is None:
        notes.append("dmidecode absent : la table DMI n'est pas relevée.")
    elif dmi[0] != 0:
        notes.append(f"dmidecode indisponible ici ({dmi[2].strip()[:120] or dmi[0]}).")
    else:
        evidence["dmidecode"] = dmi[1]
    for disk in disks:
        if not disk["serial"]:
            notes.append(
                f"Le disque {disk['path']} ({disk['model'] or 'modèle inconnu'}) n'a pas de "
                "numéro de série lisible : son effacement devra être attribué sur la page de "
                "l'appareil."
            )
    return evidence, disks


# --- talking to the server --------------------------------------------------------------------


class Server:
    def __init__(self, base: str, token: str):
        if not base:
            raise AgentError(
                "Adresse du serveur inconnue : --server, FILIERE_SERVER ou filiere_agent.conf."
            )
        if not token:
            raise AgentError(
                "Jeton d'agent manquant : --token, FILIERE_TOKEN ou filiere_agent.conf."
            )
        self.base = base
        self.token = token

    def call(self, method: str, path: str, payload: dict | None = None) -> dict:
        body = json.dumps(payload).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": f"filiere-agent/{VERSION}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                return json.loads(response.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as error:
            try:
                refusal = json.loads(error.read().decode("utf-8"))
                message = refusal.get("message") or str(error)
                code = refusal.get("code", "")
            except ValueError:
                message, code = f"Réponse {error.code} du serveur.", ""
            if error.code >= 500:
                raise Offline(f"le serveur a répondu {error.code}") from None
            raise AgentError(f"{message} [{code or error.code}]") from None
        except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as error:
            raise Offline(str(getattr(error, "reason", error))) from None


def device_path(code: str) -> str:
    return "/api/v1/devices/" + urllib.parse.quote(code, safe="") + "/"


# --- printing what the server answered ---------------------------------------------------------


def print_outcome(outcome: dict) -> None:
    say(f"Appareil {outcome.get('code', '')} :")
    filled = outcome.get("filled") or {}
    if filled:
        say("  Complété par le serveur :")
        for name, value in filled.items():
            say(f"    - {FIELD_LABELS.get(name, name)} : {value}")
    else:
        say("  Aucune caractéristique à compléter (déjà renseignées ou absentes des rapports).")
    media = outcome.get("media_created") or []
    if media:
        say("  Supports de stockage ajoutés :")
        for medium in media:
            label = " ".join(p for p in (medium.get("manufacturer"), medium.get("model")) if p)
            serial = medium.get("serial") or "sans numéro de série"
            size = f", {medium['capacity_gb']} Go" if medium.get("capacity_gb") else ""
            say(f"    - {medium.get('media_type', '').upper()} {label} ({serial}{size})")
    erasures = outcome.get("erasures") or []
    if erasures:
        say("  Effacements enregistrés :")
        for record in erasures:
            result = RESULTS.get(record.get("result"), record.get("result"))
            say(f"    - {record.get('serial') or record.get('medium')} : {result}")
    files = outcome.get("files") or []
    unread = [f.get("name", "") for f in files if f.get("status") == "not_read"]
    if unread:
        say("  Non lus par ce serveur (ignorés) : " + ", ".join(unread) + ".")
    for file in files:
        if file.get("status") == "refused":
            say(f"  Journal d'effacement refusé : {file.get('message')}")
            say("  Le journal est gardé sur la clé : joignez-le depuis la page de l'appareil.")
    missing = outcome.get("missing") or {}
    lacking = []
    for name in missing.get("specs") or []:
        lacking.append(FIELD_LABELS.get(name, name))
    if missing.get("storage_missing"):
        lacking.append("aucun support de stockage enregistré")
    if missing.get("media_without_serial"):
        lacking.append(f"{len(missing['media_without_serial'])} support(s) sans numéro de série")
    if missing.get("media_lacking_erasure"):
        lacking.append(f"{len(missing['media_lacking_erasure'])} support(s) sans effacement réussi")
    if lacking:
        say("  Reste à faire : " + " ; ".join(lacking) + ".")
    else:
        say("  Rien ne manque : l'appareil peut passer à l'étape suivante.")


# --- erasing ----------------------------------------------------------------------------------


def run_nwipe(method: str, disks: list[dict], log_path: Path, assume_yes: bool, code: str) -> bytes:
    if shutil.which("nwipe") is None:
        raise AgentError("nwipe absent : installez le paquet nwipe sur la clé.")
    if not disks:
        raise AgentError("Aucun disque à effacer n'a été trouvé sur cette machine.")
    say("Disques qui vont être EFFACÉS DÉFINITIVEMENT :")
    for disk in disks:
        serial = disk["serial"] or "sans n° de série"
        say(f"  - {disk['path']} {disk['model']} ({serial}) {disk['size']}")
    if not assume_yes:
        try:
            answer = input(f"Pour confirmer, tapez le code de l'appareil ({code}) : ").strip()
        except EOFError:
            answer = ""
        if read_code(answer or "-") != code:
            raise AgentError("Effacement annulé : le code saisi ne correspond pas.")
    command = [
        "nwipe",
        "--nogui",
        "--autonuke",
        "--nousb",
        f"--method={method}",
        "--verify=last",
        f"--logfile={log_path}",
        *[disk["path"] for disk in disks],
    ]
    say(f"Effacement en cours ({method}) : cela peut prendre des heures. Ne débranchez rien.")
    done = subprocess.run(command, check=False)
    if not log_path.is_file():
        raise AgentError(f"nwipe n'a pas écrit de journal (code {done.returncode}).")
    if done.returncode != 0:
        say(f"nwipe s'est terminé avec le code {done.returncode} : le journal dira quel disque.")
    return log_path.read_bytes()


# --- bundles ----------------------------------------------------------------------------------


def write_bundle(directory: Path, code: str, evidence: dict) -> Path:
    now = dt.datetime.now(dt.UTC)
    bundle = {
        "format": BUNDLE_FORMAT,
        "code": code,
        "collected_at": now.isoformat(),
        **evidence,
    }
    directory.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Z0-9-]", "", code.upper()) or "appareil"
    path = directory / f"filiere-{safe}-{now:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path


def send_bundle(server: Server, path: Path) -> dict:
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AgentError(f"Paquet illisible : {error}") from None
    if bundle.get("format") != BUNDLE_FORMAT:
        raise AgentError("Ce fichier n'est pas un paquet de l'agent Filière.")
    return server.call("POST", "/api/v1/agent/bundles/", bundle)


# --- the whole run ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="filiere_agent.py",
        description="Enregistre le matériel (et l'effacement) d'un appareil dans Filière.",
    )
    parser.add_argument("--server", help="adresse de Filière, ex. https://filiere.example.org")
    parser.add_argument("--token", help="jeton d'agent (fil_…)")
    parser.add_argument("--conf", help="fichier de réglages (server=…, token=…)")
    parser.add_argument("--code", help="code de l'appareil (sinon demandé)")
    parser.add_argument("--erase", action="store_true", help="effacer les disques avec nwipe")
    parser.add_argument("--nwipe-log", help="joindre un journal nwipe existant")
    parser.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    parser.add_argument("--bundle-dir", help="où écrire le paquet hors ligne (défaut : la clé)")
    parser.add_argument(
        "--send-bundle", metavar="FICHIER", help="envoyer un paquet écrit hors ligne"
    )
    parser.add_argument("--version", action="version", version=f"filiere-agent {VERSION}")
    args = parser.parse_args(argv)

    server_url, token = settings_from(args)
    bundle_dir = Path(args.bundle_dir) if args.bundle_dir else Path(__file__).resolve().parent
    try:
        if args.send_bundle:
            outcome = send_bundle(Server(server_url, token), Path(args.send_bundle))
            print_outcome(outcome)
            say("Paquet accepté.")
            return 0
        return register(args, server_url, token, bundle_dir)
    except AgentError as error:
        say(f"Erreur : {error}")
        return 1
    except Offline as error:
        say(f"Serveur injoignable ({error}).")
        return 3


def register(args, server_url: str, token: str, bundle_dir: Path) -> int:
    code = read_code(args.code)
    notes: list[str] = []
    say(f"Relevé du matériel pour {code}…")
    evidence, disks = collect(notes)
    for note in notes:
        say(f"  ! {note}")
    server = Server(server_url, token)
    method = "zero"
    try:
        device = server.call("GET", device_path(code))
        code = device.get("code", code)
        label = " ".join(p for p in (code, device.get("brand"), device.get("model")) if p)
        say(f"Appareil trouvé : {label} ({device.get('state_label') or device.get('state')}).")
        if args.erase:
            method = server.call("GET", "/api/v1/agent/").get("nwipe_method") or method
    except Offline as error:
        say(f"Serveur injoignable ({error}) : tout sera écrit dans un paquet sur la clé.")
        server = None
    if args.nwipe_log:
        evidence["nwipe_log_base64"] = base64.b64encode(Path(args.nwipe_log).read_bytes()).decode()
    elif args.erase:
        log_path = bundle_dir / f"nwipe-{re.sub(r'[^A-Z0-9-]', '', code)}.log"
        raw = run_nwipe(method, disks, log_path, args.yes, code)
        evidence["nwipe_log_base64"] = base64.b64encode(raw).decode()
    if server is not None:
        try:
            outcome = server.call("POST", device_path(code) + "evidence/", evidence)
        except Offline as error:
            say(f"Serveur injoignable ({error}).")
        else:
            print_outcome(outcome)
            return 0
    path = write_bundle(bundle_dir, code, evidence)
    say(f"Paquet écrit : {path}")
    say(
        "Déposez-le sur la page de l'appareil (« Déposer un paquet de l'agent »), ou envoyez-le "
        f"plus tard : python3 {Path(__file__).name} --send-bundle {path.name}"
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
