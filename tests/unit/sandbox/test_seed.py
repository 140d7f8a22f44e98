"""Seed loading: validation messages, YAML times, deterministic generated attachments, the documented example."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mar_sandbox.seed import SeedError, generated_bytes, load_seed, populate
from mar_sandbox.store import Store

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "sandbox-seed.example.yml"


def _seed(**mailbox) -> dict:
    entry = {"address": "alice@contoso.example", "tenant": "t1", **mailbox}
    return {"tenants": [{"id": "t1", "domains": ["contoso.example"]}], "mailboxes": [entry]}


def test_example_seed_loads(tmp_path):
    from mar_sandbox.certs import make_app_certificate

    # The example names app-cert.pem beside it; the test provides one.
    (tmp_path / "app-cert.pem").write_text(make_app_certificate("example")[1], encoding="utf-8")
    (tmp_path / "seed.yml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    seed = load_seed(tmp_path / "seed.yml")
    store = Store()
    populate(store, seed)
    assert store.find_mailbox("alice@contoso.example") is not None
    assert store.orgs["corp"].find_account("CORP\\svc-mar").impersonation is True


def test_generated_content_is_stable():
    assert hashlib.sha256(generated_bytes(1000, "x")).hexdigest() == hashlib.sha256(generated_bytes(1000, "x")).hexdigest()
    assert generated_bytes(1000, "x") != generated_bytes(1000, "y")
    assert len(generated_bytes(12345, "x")) == 12345


def test_generated_attachment_sha256():
    message = {"internet_message_id": "<a@x>", "from": "x@evil.example", "received": "2026-12-01T10:00:00Z", "attachments": [{"name": "a.bin", "size": 64}]}
    store = Store()
    populate(store, load_seed(_seed(messages=[message])))
    attachment = store.list_messages("alice@contoso.example")[0].attachments[0]
    assert attachment.sha256 == hashlib.sha256(generated_bytes(64, "<a@x>/a.bin")).hexdigest()


def test_yaml_timestamp_accepted(tmp_path):
    path = tmp_path / "seed.yml"
    path.write_text(
        "tenants: [{id: t1}]\n"
        "mailboxes:\n"
        "  - address: alice@contoso.example\n"
        "    tenant: t1\n"
        "    messages:\n"
        "      - {internet_message_id: '<a@x>', from: x@evil.example, received: 2026-12-01T10:00:00Z}\n",
        encoding="utf-8",
    )
    store = Store()
    populate(store, load_seed(path))
    assert store.list_messages("alice@contoso.example")[0].received.isoformat() == "2026-12-01T10:00:00+00:00"


def test_errors_are_all_listed():
    seed = _seed(tenant="t9", messages=[{"internet_message_id": "<a@x>", "from": "x@evil.example"}])
    seed["mailboxes"].append({"address": "alice@contoso.example", "onprem": "nowhere"})
    with pytest.raises(SeedError) as raised:
        load_seed(seed)
    assert raised.value.errors == [
        "mailboxes/0/messages/0: 'received' is a required property",
        "mailboxes/0/tenant: no tenant 't9' in tenants",
        "mailboxes/1/address: mailbox 'alice@contoso.example' is defined twice",
        "mailboxes/1/onprem: no organisation 'nowhere' in onprem",
    ]


def test_unknown_key_rejected():
    with pytest.raises(SeedError) as raised:
        load_seed({"tenant": []})
    assert raised.value.errors == ["(top): Additional properties are not allowed ('tenant' was unexpected)"]


def test_bad_time_named():
    message = {"internet_message_id": "<a@x>", "from": "x@evil.example", "received": "yesterday"}
    with pytest.raises(SeedError) as raised:
        load_seed(_seed(messages=[message]))
    assert "mailboxes/0/messages/0/received: 'yesterday' is not an ISO 8601 time such as 2026-01-31T09:30:00Z" in raised.value.errors


def test_bad_base64_named():
    message = {"internet_message_id": "<a@x>", "from": "x@evil.example", "received": "2026-12-01T10:00:00Z", "attachments": [{"name": "a", "content_base64": "***"}]}
    with pytest.raises(SeedError) as raised:
        load_seed(_seed(messages=[message]))
    assert raised.value.errors == ["mailboxes/0/messages/0/attachments/0/content_base64: not valid base64"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="seed file not found"):
        load_seed(tmp_path / "none.yml")


def test_yaml_syntax_error(tmp_path):
    path = tmp_path / "seed.yml"
    path.write_text("mailboxes: [\n", encoding="utf-8")
    with pytest.raises(SeedError) as raised:
        load_seed(path)
    assert raised.value.errors[0].startswith("YAML syntax error: ")


def test_certificate_from_file(tmp_path):
    from mar_sandbox.certs import make_app_certificate

    _key, cert, sha1, sha256 = make_app_certificate("file cert")
    (tmp_path / "app.pem").write_text(cert, encoding="utf-8")
    seed_path = tmp_path / "seed.yml"
    seed_path.write_text("tenants: [{id: t1, apps: [{client_id: c1, certificates: [{file: app.pem}]}]}]\n", encoding="utf-8")
    store = Store()
    populate(store, load_seed(seed_path))
    registered = store.find_app(store.find_tenant("t1"), "c1").certificates[0]
    assert (registered.sha1, registered.sha256) == (sha1, sha256)


def test_packaged_schema_matches_repository_copy():
    root = Path(__file__).resolve().parents[3]
    packaged = root / "runner" / "mar_sandbox" / "data" / "sandbox-seed.schema.json"
    assert packaged.read_text(encoding="utf-8") == (root / "schemas" / "sandbox-seed.schema.json").read_text(encoding="utf-8")
