"""Production settings refuse to start half-configured and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "s" * 30 + "E3r!" * 10


def run_check(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"ALLOWED_HOSTS": "filiere.example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "filiere.example.org"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_secret_and_hosts(overrides, complaint):
    result = run_check(overrides)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_settings_pass_check_deploy():
    result = run_check({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "filiere.example.org"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_secret_is_generated_once_outside_the_repository(tmp_path, monkeypatch):
    from config.settings import dev

    monkeypatch.setattr(dev, "VAR_DIR", tmp_path)
    first = dev._development_secret_key()
    assert len(first) >= 50
    assert dev._development_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_users_see_french_in_paris_time(settings):
    assert settings.LANGUAGE_CODE == "fr-fr"
    assert settings.TIME_ZONE == "Europe/Paris"
