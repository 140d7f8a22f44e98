"""scripts/make-demo-credentials writes a CA, an app certificate and a vault file the inventory validates with."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys

from tests.plugins.config import REPO


def test_generated_credentials_validate(tmp_path, marctl_here):
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "make-demo-credentials", tmp_path / "scripts")
    shutil.copytree(REPO / "inventory", tmp_path / "inventory", ignore=shutil.ignore_patterns("sandbox"))
    vault_file = tmp_path / "inventory" / "group_vars" / "all" / "vault.yml"
    old_vault = vault_file.read_text()

    result = subprocess.run(
        [sys.executable, str(tmp_path / "scripts" / "make-demo-credentials")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert vault_file.read_text() != old_vault
    assert stat.S_IMODE((tmp_path / "inventory" / "sandbox" / "ca-key.pem").stat().st_mode) == 0o600
    assert (tmp_path / "inventory" / "sandbox" / "ca.pem").read_text().startswith("# LOCAL SANDBOX ONLY")
    assert "PRIVATE KEY" not in vault_file.read_text()
    assert vault_file.read_text().startswith("# yaml-language-server: $schema=../../../schemas/config.schema.json\n---\n")
    validated = marctl_here(
        "validate",
        "--vault-password-file",
        str(tmp_path / "inventory" / "vault-password-sandbox-only.txt"),
        str(tmp_path / "inventory"),
    )
    assert validated.returncode == 0, validated.stdout
    assert validated.stdout == ""
