"""The registration agent (agent/filiere_agent.py) against a live server, with the recorded
outputs of real tools replayed by fake ``lsblk``/``lshw``/``smartctl``/``dmidecode``/``nwipe``
scripts first on the PATH: the agent never runs a real tool, nor a real erasure, here."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.tokens import token_create
from parc.models import Device, ErasureRecord
from tests.parc.factories import DeviceFactory

ROOT = Path(__file__).parents[2]
AGENT = ROOT / "agent" / "filiere_agent.py"
FIXTURES = ROOT / "tests" / "fixtures"
pytestmark = pytest.mark.django_db(transaction=True)

MACHINES = {
    "laptop": {
        "lsblk": FIXTURES / "agent/laptop/lsblk.json",
        "lshw": FIXTURES / "hardware/lshw-handwritten-latitude-5490-nvme-hdd.json",
        "smartctl": {
            "/dev/nvme0n1": FIXTURES / "agent/laptop/smartctl-nvme0n1.json",
            "/dev/sda": FIXTURES / "agent/laptop/smartctl-sda.json",
        },
        "dmidecode": (FIXTURES / "agent/laptop/dmidecode.txt", None, 0),
        "nwipe": FIXTURES / "nwipe/nwipe-0.33-dodshort-two-loops-vm.serials-edited.log",
    },
    "vm": {
        "lsblk": FIXTURES / "agent/vm/lsblk.json",
        "lshw": FIXTURES / "hardware/lshw-vm-debian12-kvm.json",
        "smartctl": {"/dev/vda": FIXTURES / "agent/vm/smartctl-vda.json"},
        "dmidecode": (
            FIXTURES / "agent/vm/dmidecode.txt",
            FIXTURES / "agent/vm/dmidecode.stderr",
            1,
        ),
        "nwipe": FIXTURES / "nwipe/nwipe-0.33-zero-loop-vm.log",
    },
}


def fake_tools(directory: Path, machine: str, *, without=()) -> Path:
    """Scripts that print the recorded outputs; ``nwipe`` copies the recorded log to its
    --logfile and writes its arguments beside it."""
    spec = MACHINES[machine]
    directory.mkdir()

    def script(name, body):
        if name in without:
            return
        path = directory / name
        path.write_text(f"#!{sys.executable}\nimport sys, shutil, pathlib\n{body}\n")
        path.chmod(0o755)

    script("lsblk", f"sys.stdout.write(open({str(spec['lsblk'])!r}).read())")
    script("lshw", f"sys.stdout.write(open({str(spec['lshw'])!r}).read())")
    outputs = {path: str(file) for path, file in spec["smartctl"].items()}
    script(
        "smartctl",
        f"outputs = {outputs!r}\n"
        "path = sys.argv[-1]\n"
        "if path in outputs:\n"
        "    sys.stdout.write(open(outputs[path]).read())\n"
        "    sys.exit(1 if 'vda' in path else 0)\n"
        "sys.exit(2)",
    )
    out, err, status = spec["dmidecode"]
    script(
        "dmidecode",
        f"sys.stdout.write(open({str(out)!r}).read())\n"
        + (f"sys.stderr.write(open({str(err)!r}).read())\n" if err else "")
        + f"sys.exit({status})",
    )
    script(
        "nwipe",
        "log = next(a.split('=', 1)[1] for a in sys.argv if a.startswith('--logfile='))\n"
        f"shutil.copy({str(spec['nwipe'])!r}, log)\n"
        "pathlib.Path(log + '.argv').write_text(' '.join(sys.argv[1:]))",
    )
    return directory


def run_agent(tmp_path, machine, *args, server, token, without=(), stdin=""):
    tools = fake_tools(tmp_path / "bin", machine, without=without)
    done = subprocess.run(
        [sys.executable, str(AGENT), "--server", server, "--token", token, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"PATH": str(tools), "LANG": "C.UTF-8"},
        timeout=120,
        cwd=tmp_path,
    )
    return done


@pytest.fixture
def agent_token(admin, refurbisher):
    token, clear = token_create(
        admin,
        name="clé USB atelier",
        scope="agent",
        days=30,
        organisation=refurbisher,
        nwipe_method="dodshort",
    )
    return clear


def test_laptop_registered_and_erased_by_code_alone(
    tmp_path, live_server, agent_token, refurbisher
):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="", state="triage")
    done = run_agent(
        tmp_path,
        "laptop",
        "--erase",
        "--bundle-dir",
        str(tmp_path),
        server=live_server.url,
        token=agent_token,
        stdin=f"{device.public_code}\n" * 2,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Complété par le serveur" in out and "marque : Dell" in out
    assert "Supports de stockage ajoutés" in out
    assert "S4DPNF0M612345" in out and "WGS1AB2C" in out
    assert "Effacements enregistrés" in out
    device.refresh_from_db()
    assert device.brand == "Dell" and device.serial
    media = list(device.storage_media.order_by("serial"))
    assert [m.serial for m in media] == ["S4DPNF0M612345", "WGS1AB2C"]
    records = ErasureRecord.objects.filter(medium__device=device)
    assert records.count() == 2
    assert {r.serial for r in records} == {"S4DPNF0M612345", "WGS1AB2C"}
    # nwipe ran with the organisation's method, never on the USB stick.
    argv = next(tmp_path.glob("nwipe-*.log.argv")).read_text()
    assert "--method=dodshort" in argv and "--nousb" in argv
    assert "/dev/sdb" not in argv and "/dev/nvme0n1" in argv and "/dev/sda" in argv
    # Every row written is in the history with the token's name.
    events = device.events.exclude(action="register")
    assert events.exists()
    assert all(e.data.get("token") == "clé USB atelier" for e in events)


def test_erase_needs_the_code_typed_again(tmp_path, live_server, agent_token, refurbisher):
    device = DeviceFactory(owner=refurbisher, state="triage")
    done = run_agent(
        tmp_path,
        "laptop",
        "--code",
        device.public_code,
        "--erase",
        server=live_server.url,
        token=agent_token,
        stdin="FIL-WRONG00\n",
    )
    assert done.returncode == 1
    assert "Effacement annulé" in done.stdout
    assert not list(tmp_path.glob("nwipe-*.argv"))
    assert not ErasureRecord.objects.exists()


def test_vm_disk_without_serial_and_no_dmi(tmp_path, live_server, agent_token, refurbisher):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="", kind="desktop")
    done = run_agent(
        tmp_path,
        "vm",
        "--code",
        device.public_code,
        server=live_server.url,
        token=agent_token,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "/dev/vda" in out and "pas de numéro de série" in out
    assert "dmidecode indisponible" in out and "/dev/mem" in out
    assert "Unable to detect device type" in out
    assert "Reste à faire" in out and "aucun support de stockage" in out
    device.refresh_from_db()
    assert device.cpu  # lshw's CPU filled
    assert not device.storage_media.exists()  # a virtual disk is not the device's storage


def test_vm_nwipe_log_of_a_disk_without_serial_is_refused_alone(
    tmp_path, live_server, agent_token, refurbisher
):
    device = DeviceFactory(owner=refurbisher, brand="", cpu="", kind="desktop", state="triage")
    log = tmp_path / "old.log"
    log.write_bytes(MACHINES["vm"]["nwipe"].read_bytes())
    done = run_agent(
        tmp_path,
        "vm",
        "--code",
        device.public_code,
        "--nwipe-log",
        str(log),
        server=live_server.url,
        token=agent_token,
    )
    assert done.returncode == 0, done.stdout
    assert "Journal d'effacement refusé" in done.stdout
    device.refresh_from_db()
    assert device.cpu  # the hardware report was kept all the same
    assert not ErasureRecord.objects.exists()


def test_missing_smartctl(tmp_path, live_server, agent_token, refurbisher):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="")
    done = run_agent(
        tmp_path,
        "laptop",
        "--code",
        device.public_code,
        server=live_server.url,
        token=agent_token,
        without=("smartctl",),
    )
    assert done.returncode == 0, done.stdout
    assert "smartctl absent" in done.stdout
    assert device.storage_media.count() == 2  # lshw alone found both disks


def test_lost_network_writes_a_bundle_then_it_is_accepted(
    tmp_path, live_server, agent_token, refurbisher
):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", state="triage")
    offline = run_agent(
        tmp_path,
        "laptop",
        "--code",
        device.public_code,
        "--nwipe-log",
        str(MACHINES["laptop"]["nwipe"]),
        "--bundle-dir",
        str(tmp_path / "cle"),
        server="http://127.0.0.1:9",
        token=agent_token,
    )
    assert offline.returncode == 2, offline.stdout
    assert "Serveur injoignable" in offline.stdout and "Paquet écrit" in offline.stdout
    bundle = next((tmp_path / "cle").glob("filiere-*.json"))
    content = json.loads(bundle.read_text())
    assert content["format"] == "filiere-agent-bundle" and content["code"] == device.public_code
    assert base64.b64decode(content["nwipe_log_base64"]) == MACHINES["laptop"]["nwipe"].read_bytes()
    assert not device.storage_media.exists()

    (tmp_path / "later").mkdir()
    sent = run_agent(
        tmp_path / "later",
        "laptop",
        "--send-bundle",
        str(bundle),
        server=live_server.url,
        token=agent_token,
    )
    assert sent.returncode == 0, sent.stdout
    assert "Paquet accepté" in sent.stdout
    assert device.storage_media.count() == 2
    assert ErasureRecord.objects.filter(medium__device=device).count() == 2


def test_agent_token_cannot_reach_another_organisation(
    tmp_path, live_server, agent_token, other_refurbisher
):
    foreign = DeviceFactory(owner=other_refurbisher)
    done = run_agent(
        tmp_path,
        "laptop",
        "--code",
        foreign.public_code,
        server=live_server.url,
        token=agent_token,
    )
    assert done.returncode == 1
    assert "Introuvable" in done.stdout
    assert not foreign.storage_media.exists()


def test_expired_or_revoked_token_is_told(tmp_path, live_server, admin, refurbisher):
    from api.tokens import token_revoke

    token, clear = token_create(
        admin, name="vieux", scope="agent", days=30, organisation=refurbisher
    )
    token_revoke(admin, token.pk)
    device = DeviceFactory(owner=refurbisher)
    done = run_agent(
        tmp_path, "laptop", "--code", device.public_code, server=live_server.url, token=clear
    )
    assert done.returncode == 1
    assert "révoqué" in done.stdout
    assert Device.objects.get(pk=device.pk).brand == device.brand


@pytest.mark.django_db(transaction=False)
def test_the_code_is_read_typed_or_scanned():
    import importlib.util

    spec = importlib.util.spec_from_file_location("filiere_agent", AGENT)
    agent = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agent)
    # A USB scanner types the QR code's URL; a person types the label, maybe in lower case.
    assert agent.read_code("https://filiere.example.org/e/FIL-7K3QX9A/") == "FIL-7K3QX9A"
    assert agent.read_code("fil-7k3qx9a") == "FIL-7K3QX9A"
    assert agent.read_code("FIL 7K3QX9A") == "FIL-7K3QX9A"
    assert agent.read_code("  1234 ") == "1234"
