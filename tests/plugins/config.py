"""Fixtures of the config area: key material, a valid configuration, file writers, marctl runs."""

from __future__ import annotations

import copy
import datetime
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class KeyMaterial:
    """A private key and its self-signed certificate, in PEM, with thumbprints."""

    key_pem: str
    cert_pem: str
    sha1: str
    sha256: str
    key: rsa.RSAPrivateKey


def make_key_material(bits: int = 2048, name: str = "test app") -> KeyMaterial:
    """Create an RSA key and a self-signed certificate for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    import hashlib

    return KeyMaterial(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        sha1=hashlib.sha1(der).hexdigest().upper(),  # noqa: S324
        sha256=hashlib.sha256(der).hexdigest().upper(),
        key=key,
    )


@pytest.fixture(scope="session")
def app_keys() -> KeyMaterial:
    """The key pair of the test app registration."""
    return make_key_material()


@pytest.fixture(scope="session")
def other_keys() -> KeyMaterial:
    """A second, unrelated key pair."""
    return make_key_material(name="other app")


@pytest.fixture
def valid_config(app_keys) -> dict:
    """A valid hybrid configuration: graph, ews, a chain of both, three mappings, two policies."""
    return copy.deepcopy(
        {
            "mar_settings": {"enabled": True, "max_attempts": 3, "cloud_timeout": 30, "onprem_timeout": 30, "lookback": "30d"},
            "mar_account_profiles": [
                {
                    "name": "exo",
                    "description": "Exchange Online",
                    "type": "graph",
                    "client_id": "00000000-0000-0000-0000-000000000001",
                    "tenant_id": "00000000-0000-0000-0000-0000000000aa",
                    "thumbprint": app_keys.sha1,
                    "private_key": app_keys.key_pem,
                    "certificate": app_keys.cert_pem,
                },
                {
                    "name": "onprem",
                    "description": "Exchange 2019",
                    "type": "ews",
                    "username": "CORP\\svc-mar",
                    "password": "first-password",
                    "host": "mail.corp.example.com",
                },
            ],
            "mar_chained_profiles": [{"name": "hybrid", "description": "moving", "profiles": ["onprem", "exo"]}],
            "mar_domain_mappings": [
                {"domains": ["example.com"], "profile": "exo"},
                {"domains": ["corp.example.com"], "profile": "onprem"},
                {"domains": ["ALL"], "profile": "hybrid"},
            ],
            "mar_policies": [
                {"name": "VIP", "recipients": ["ceo@example.com"], "mailbox_auto_remediation": {"action": "delete"}},
                {
                    "name": "DEFAULT",
                    "mailbox_auto_remediation": {"action": "forward_and_delete", "forward_to": "soc@example.com"},
                },
            ],
        }
    )


@pytest.fixture
def write_yaml(tmp_path):
    """Write dedented YAML text to a file under tmp_path and return its path as a string."""

    def write(text: str, name: str = "config.yml") -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return str(path)

    return write


def run_marctl(*args: str, cwd: str | os.PathLike[str] | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run marctl in a child interpreter and return the finished process (text output)."""
    full_env = dict(os.environ)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        full_env.pop(var, None)
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)  # None removes the variable
        else:
            full_env[name] = value
    return subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", *args],
        cwd=cwd or REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def marctl():
    """The run_marctl helper, as a fixture."""
    return run_marctl


@dataclass
class Finished:
    """Exit code and output of marctl run inside the test process."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def marctl_here(capsys, monkeypatch):
    """Run marctl inside the test process from the repository root (faster; its ansible.cfg applies)."""
    from mar_runner.cli.main import main

    monkeypatch.chdir(REPO)

    def run(*args: str) -> Finished:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Finished(code, out, err)

    return run
