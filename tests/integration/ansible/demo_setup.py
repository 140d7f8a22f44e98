"""The demo's inputs pointed at the test session's sandbox, for the replay and read-only tests.

The tests play against the example inventory (its vault supplies the app's
private key and the EWS password) but on the sandbox fixture's ephemeral
ports and CA, so each profile's endpoints are replaced in the playbook.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "inventory" / "sandbox"
SEED = DEMO / "seed.yml"
MAIL_LOG = DEMO / "logs" / "mail.log"
AMP_LOG = DEMO / "logs" / "amp.log"
VERDICT = DEMO / "verdicts" / "retrospective.json"
SHA256 = "0ae452f0c871d2022db49deb91b5016c950a36dde63d04f56a4135b35b2867e0"
MESSAGE_ID = "<20261201091402.4F2A7C@billing-notice.example.org>"

# The EWS password of the inventory's vault. The tests search every run's output for it.
EWS_PASSWORD = "Sandbox-Only-Passw0rd"


def private_key_line() -> str:
    """Return a line from the middle of the demo app's private key, decrypted from the vault."""
    import yaml
    from ansible.parsing.vault import VaultLib, VaultSecret

    class VaultTagLoader(yaml.SafeLoader):
        """Reads a !vault value as its ciphertext."""

    VaultTagLoader.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))
    text = (REPO / "inventory" / "group_vars" / "all" / "vault.yml").read_text(encoding="utf-8")
    ciphertext = yaml.load(text, Loader=VaultTagLoader)["vault_exo_private_key"]
    password = (REPO / "inventory" / "vault-password-sandbox-only.txt").read_bytes().strip()
    vault = VaultLib([("default", VaultSecret(password))])
    return vault.decrypt(ciphertext).decode().splitlines()[5]


def profile_overrides(sandbox) -> dict:
    """Return the endpoint fields of each inventory profile that point it at ``sandbox``."""
    ca_pem = Path(sandbox.ca_file).read_text(encoding="utf-8")
    return {
        "exo": {"authority_url": sandbox.login_url, "graph_url": sandbox.graph_url, "ca_certificate": ca_pem},
        "onprem": {"host": sandbox.ews_host("corp"), "ca_certificate": ca_pem},
    }


def apply_task(state_dir: Path, overrides: dict, name: str = "apply") -> dict:
    """Return a task that applies the example inventory's configuration with the endpoints replaced."""
    return {
        "name": name,
        "mailsec.mar.config": {
            "state_dir": str(state_dir),
            "settings": "{{ mar_settings }}",
            "account_profiles": "{{ mar_account_profiles | zip(mar_account_profiles | map(attribute='name')"
            " | map('extract', overrides)) | map('combine') | list }}",
            "chained_profiles": "{{ mar_chained_profiles }}",
            "domain_mappings": "{{ mar_domain_mappings }}",
            "policies": "{{ mar_policies }}",
            "purge": True,
        },
        "vars": {"overrides": overrides},
    }


def engine_play(tasks: list[dict]) -> dict:
    """Return a play on the example inventory's engine host."""
    return {"name": "Engine host", "hosts": "mar_engines", "gather_facts": False, "tasks": tasks}


def messages_with(sandbox, address: str, message_id: str = MESSAGE_ID) -> list[dict]:
    """Return the copies of ``message_id`` visible to the user of ``address``, with their folder's name.

    Only the mail folder tree counts: a hard delete leaves the item in the
    Recoverable Items folders, which the user does not see, as Exchange does.
    """
    found = []
    for folder in sandbox.inspect(address)["folders"]:
        if folder["area"] != "ipm":
            continue
        for message in folder["messages"]:
            if message["internet_message_id"] == message_id:
                found.append(dict(message, folder=folder["name"]))
    return found


def forwarded_copies(sandbox, address: str = "soc@example.com") -> list[dict]:
    """Return the messages in ``address`` that a forward delivered."""
    return [
        message
        for folder in sandbox.inspect(address)["folders"]
        for message in folder["messages"]
        if message.get("forwarded_from")
    ]
