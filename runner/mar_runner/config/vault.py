"""Vault secrets for validation: from options, ``--vault-id``, ansible.cfg or the environment."""

from __future__ import annotations

import os

from mar_runner.i18n import _

# Ansible's modules are imported inside the functions: importing them takes
# about a second, and every marctl command loads this module.

DEFAULT_IDENTITY = "default"


class VaultSetupError(ValueError):
    """A vault password file is missing, unreadable or needs a prompt."""


def _configured_sources() -> list[tuple[str, str]]:
    from ansible import constants as C  # reads ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg)

    sources: list[tuple[str, str]] = []
    if C.DEFAULT_VAULT_PASSWORD_FILE:
        sources.append((DEFAULT_IDENTITY, str(C.DEFAULT_VAULT_PASSWORD_FILE)))
    for slug in C.DEFAULT_VAULT_IDENTITY_LIST or []:
        sources.append(_split_vault_id(slug))
    return sources


def _split_vault_id(slug: str) -> tuple[str, str]:
    label, at, location = slug.partition("@")
    return (label, location) if at else (DEFAULT_IDENTITY, slug)


def load_secrets(password_files: list[str] | None = None, vault_ids: list[str] | None = None) -> list:
    """Return (vault id, secret) pairs; the options first, then ansible.cfg's and the environment's.

    Raises VaultSetupError naming the file when one cannot be used.
    """
    from ansible.errors import AnsibleError
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import get_file_vault_secret

    sources = [(DEFAULT_IDENTITY, path) for path in password_files or []]
    sources += [_split_vault_id(slug) for slug in vault_ids or []]
    sources += _configured_sources()
    secrets = []
    for label, location in sources:
        if location in ("prompt", "prompt_ask_vault_pass"):
            raise VaultSetupError(
                _("vault id '{label}' asks for a password prompt, which marctl does not support; give a password file").format(
                    label=label
                )
            )
        if not os.path.isfile(location):
            raise VaultSetupError(
                _("vault password file {path} was not found; check the path").format(path=location)
            )
        try:
            secret = get_file_vault_secret(filename=location, vault_id=label, loader=DataLoader())
            secret.load()
        except AnsibleError as error:
            raise VaultSetupError(
                _("vault password file {path} cannot be used: {error}").format(path=location, error=error.message)
            ) from None
        secrets.append((label, secret))
    return secrets


def activate(secrets: list) -> None:
    """Make ``secrets`` the ones Ansible's lazily decrypted values use in this process.

    Ansible allows initialising the context once per process. Tests and the
    Ansible modules may load configurations more than once in one process, so
    the current context is replaced directly.
    """
    from ansible.parsing.vault import VaultSecretsContext

    # NOTE: private attribute of ansible-core 2.19; re-check on upgrade.
    VaultSecretsContext._current = VaultSecretsContext(secrets)


def decrypt(ciphertext: str, secrets: list) -> str:
    """Decrypt one vault value; raises AnsibleError when no secret fits."""
    from ansible.parsing.vault import VaultLib

    return VaultLib(secrets).decrypt(ciphertext.strip()).decode("utf-8")
