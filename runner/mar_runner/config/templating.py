"""Jinja resolution of configuration values with Ansible's templating (values are trusted)."""

from __future__ import annotations

from typing import Any

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.errors import AnsibleError, AnsibleUndefinedVariable
from ansible.parsing.vault import AnsibleVaultError
from ansible.module_utils._internal._datatag import AnsibleTagHelper
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from mar_runner.config.positions import VaultValue


def to_native(value: Any) -> Any:
    """Return ``value`` with Ansible's tagged types turned into plain dict, list, str, int, bool."""
    if isinstance(value, dict):
        return {to_native(k): to_native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_native(v) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return AnsibleTagHelper.untag(value)
    if isinstance(value, str):
        return str(AnsibleTagHelper.untag(value))
    if type(value).__name__ == "EncryptedString":
        return str(value)
    return value


def _is_vault_error(error: BaseException) -> bool:
    """Tell whether templating failed because a vault value could not be decrypted."""
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, AnsibleUndefinedVariable):
            return False
        if isinstance(current, AnsibleVaultError) or "undecryptable" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False


def render(text: str, variables: dict, loader: DataLoader | None = None) -> tuple[Any, str | None]:
    """Render one template string; return (value, None), (None, "vault") or (None, error text)."""
    templar = Templar(loader=loader or DataLoader(), variables=variables)
    try:
        result = templar.template(TrustedAsTemplate().tag(text))
    except AnsibleError as error:
        if _is_vault_error(error):
            return None, "vault"
        return None, error.message
    if isinstance(result, VaultValue) or (isinstance(result, str) and "<vault-encrypted>" in result):
        return None, "vault"
    return to_native(result), None
