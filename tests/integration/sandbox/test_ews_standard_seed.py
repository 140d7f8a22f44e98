"""exchangelib against the session sandbox and its standard seed, as the engine and the demo use it."""

from __future__ import annotations

import hashlib

import pytest
from exchangelib import IMPERSONATION, NTLM, Account, Configuration, Credentials, FailFast
from exchangelib.errors import ErrorNonExistentMailbox
from exchangelib.protocol import Protocol

from mar_sandbox.ews.testing import SandboxCAAdapter, install_adapter
from mar_sandbox.testing import MALICIOUS_ATTACHMENT, MALICIOUS_MESSAGE_ID, ORG, SERVICE_ACCOUNT, SERVICE_PASSWORD


@pytest.fixture
def ews_account(sandbox):
    url = sandbox.ews_url(ORG)
    SandboxCAAdapter.trust(url, sandbox.ca_file)
    install_adapter()
    Protocol.clear_cache()

    def connect(address: str) -> Account:
        config = Configuration(
            service_endpoint=url,
            credentials=Credentials(f"CORP\\{SERVICE_ACCOUNT}", SERVICE_PASSWORD),
            auth_type=NTLM,
            retry_policy=FailFast(),
        )
        return Account(address, access_type=IMPERSONATION, autodiscover=False, config=config)

    yield connect
    Protocol.clear_cache()
    SandboxCAAdapter.forget(url)


def test_standard_seed_message_found(sandbox, ews_account):
    account = ews_account("dave@corp.example")
    found = list(account.msg_folder_root.walk().filter(message_id=MALICIOUS_MESSAGE_ID))
    assert len(found) == 1
    attachment = found[0].attachments[0]
    inbox = next(f for f in sandbox.inspect("dave@corp.example")["folders"] if f["well_known"] == "inbox")
    assert attachment.name == MALICIOUS_ATTACHMENT
    assert hashlib.sha256(attachment.content).hexdigest() == inbox["messages"][0]["attachments"][0]["sha256"]


def test_standard_seed_cloud_mailbox(sandbox, ews_account):
    with pytest.raises(ErrorNonExistentMailbox) as raised:
        ews_account("alice@contoso.example").inbox.total_count
    assert str(raised.value) == "The SMTP address has no mailbox associated with it."
