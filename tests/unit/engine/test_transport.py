"""Transport details: the EWS CA registry, Graph query escaping, thumbprint handling and CLI progress."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from mar_runner.backends.ews import adapter
from mar_runner.backends.ews.backend import bracket_forms, service_endpoint
from mar_runner.backends.graph.auth import client_credential
from mar_runner.backends.graph.backend import filter_query, odata_string
from mar_runner.cli.replay_cmd import _progress
from mar_runner.engine.errors import PermanentError


def test_ca_registry_by_host_and_port():
    adapter.register_ca("https://mail-a.example:8443/EWS/Exchange.asmx", "/tmp/a.pem")
    try:
        assert adapter.ca_for("https://MAIL-A.example:8443/EWS/Exchange.asmx") == "/tmp/a.pem"
        assert adapter.ca_for("https://mail-a.example/EWS/Exchange.asmx") is None
        assert adapter.ca_for("https://mail-b.example:8443/EWS/Exchange.asmx") is None
    finally:
        adapter.unregister_ca("https://mail-a.example:8443/EWS/Exchange.asmx")
    assert adapter.ca_for("https://mail-a.example:8443/EWS/Exchange.asmx") is None


def test_adapter_never_disables_verification(monkeypatch):
    seen = {}

    def fake_send(self, request, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr("requests.adapters.HTTPAdapter.send", fake_send)

    class Request:
        url = "https://unregistered.example/EWS/Exchange.asmx"

    adapter.HostCAAdapter().send(Request(), verify=False)
    assert seen["verify"] is True


def test_service_endpoint_forms():
    assert service_endpoint("mail.corp.example") == "https://mail.corp.example/EWS/Exchange.asmx"
    assert service_endpoint("https://lb.corp.example/EWS/Exchange.asmx") == "https://lb.corp.example/EWS/Exchange.asmx"


def test_both_bracket_forms():
    assert bracket_forms("<abc@x>") == ["<abc@x>", "abc@x"]
    assert bracket_forms("abc@x") == ["<abc@x>", "abc@x"]


def test_filter_escapes_reserved_characters():
    expression = f"internetMessageId eq {odata_string('<a+b/c#d%e&f?g=h@x>')}"
    query = filter_query(expression)
    encoded = query.removeprefix("$filter=")
    for character in "+/#&?= '":
        assert character not in encoded
    assert "%25e" in encoded
    assert unquote(query.removeprefix("$filter=")) == "internetMessageId eq '<a+b/c#d%e&f?g=h@x>'"


def test_single_quote_doubled():
    assert odata_string("<o'brien@x>") == "'<o''brien@x>'"


def test_sha1_thumbprint_passed_as_thumbprint():
    credential = client_credential({"name": "p", "private_key": "KEY", "thumbprint_sha1": "ab" * 20,
                                    "thumbprint_sha256": None, "certificate": "CERT"})
    assert credential == {"private_key": "KEY", "thumbprint": "AB" * 20}


def test_sha256_thumbprint_uses_certificate():
    credential = client_credential({"name": "p", "private_key": "KEY", "thumbprint_sha1": None,
                                    "thumbprint_sha256": "CD" * 32, "certificate": "CERT"})
    assert credential == {"private_key": "KEY", "public_certificate": "CERT"}


def test_declared_thumbprint_normalised():
    credential = client_credential({"name": "p", "private_key": "KEY", "thumbprint": "ab:" * 19 + "ab"})
    assert credential["thumbprint"] == "AB" * 20


def test_encrypted_key_needs_passphrase():
    with pytest.raises(PermanentError, match="private_key is encrypted but private_key_passphrase is not set"):
        client_credential({"name": "p", "private_key": "-----BEGIN ENCRYPTED PRIVATE KEY-----\n...",
                           "thumbprint_sha1": "AB" * 20})


def test_progress_on_large_runs(capsys):
    _progress(5, 50)
    assert capsys.readouterr().err == ""
    _progress(10, 100)
    _progress(11, 100)
    assert capsys.readouterr().err == "Progress: 10 of 100 recipients\n"


def test_ews_busy_wrapping_timeout_is_timed_out():
    from exchangelib.errors import ErrorServerBusy

    from mar_runner.backends.ews.errors import map_error

    wrapped = ErrorServerBusy("Reraised from ErrorTimeoutExpired(Reraised from ReadTimeout(read timed out))")
    assert map_error(wrapped, "mail.example", "a@example.com").reason == "timed_out"
    refused = ErrorServerBusy("Reraised from ErrorTimeoutExpired(Reraised from ConnectionError(refused))")
    assert map_error(refused, "mail.example", "a@example.com").reason == "connection_failed"
    busy = ErrorServerBusy("The server cannot service this request right now.", back_off=2.5)
    mapped = map_error(busy, "mail.example", "a@example.com")
    assert mapped.reason == "throttled"
    assert mapped.retry_after == 2.5
