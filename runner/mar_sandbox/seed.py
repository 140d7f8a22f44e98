"""Load and validate a sandbox seed (YAML file or dict) and fill a store from it.

Generated attachment content is deterministic (``random.Random`` seeded with
a string), so SHA-256 digests are the same on every run and machine.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import os
import random
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mar_sandbox.certs import certificate_thumbprints
from mar_sandbox.model import AppCertificate, AppRegistration, OnPremOrg, Recipient, ServiceAccount, Tenant
from mar_sandbox.store import DEFAULT_MAX_MESSAGE_SIZE, Store, make_attachment

SCHEMA_NAME = "sandbox-seed.schema.json"


class SeedError(ValueError):
    """The seed is invalid; ``errors`` lists every problem as 'path: message'."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: invalid sandbox seed:\n" + "\n".join(f"  {e}" for e in errors))
        self.source = source
        self.errors = errors


@lru_cache(maxsize=1)
def schema() -> dict:
    """Return the seed's JSON Schema.

    It ships inside the package (``mar_sandbox/data``) so an installed
    sandbox finds it; ``schemas/`` at the repository root has the same file,
    and a test keeps the two identical.
    """
    text = resources.files("mar_sandbox").joinpath("data", SCHEMA_NAME).read_text(encoding="utf-8")
    return json.loads(text)


def generated_bytes(size: int, seed: str) -> bytes:
    """Return ``size`` pseudo-random bytes that depend only on ``seed``."""
    return random.Random(seed).randbytes(size)


def _normalise_times(value: Any) -> Any:
    # YAML turns unquoted timestamps into datetime objects; the schema and
    # the loader want ISO 8601 strings.
    if isinstance(value, dict):
        return {k: _normalise_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_times(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    return value


def _path_text(path: Any) -> str:
    return "/".join(str(p) for p in path) or "(top)"


def load_seed(source: str | os.PathLike[str] | dict, *, base_dir: Path | None = None) -> dict:
    """Read and validate a seed; return the normalised dict with ``_base_dir`` set for relative files.

    Raises SeedError listing every problem, or FileNotFoundError for a missing file.
    """
    if isinstance(source, dict):
        data = copy.deepcopy(source)
        name = "<seed>"
        base = base_dir or Path.cwd()
    else:
        path = Path(source)
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: seed file not found") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise SeedError(name, [f"YAML syntax error: {exc}"]) from None
        base = base_dir or path.resolve().parent
    if not isinstance(data, dict):
        raise SeedError(name, ["(top): the seed must be a mapping with tenants, onprem, mailboxes, faults"])
    data.pop("_base_dir", None)
    data = _normalise_times(data)
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    errors = [f"{_path_text(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    errors += _cross_check(data)
    if errors:
        raise SeedError(name, sorted(set(errors)))
    data["_base_dir"] = str(base)
    return data


def _cross_check(data: dict) -> list[str]:
    errors: list[str] = []
    tenants = {str(t.get("id", "")).lower() for t in data.get("tenants", []) if isinstance(t, dict)}
    orgs = {o.get("name") for o in data.get("onprem", []) if isinstance(o, dict)}
    seen: set[str] = set()
    for index, mailbox in enumerate(data.get("mailboxes", [])):
        if not isinstance(mailbox, dict):
            continue
        address = str(mailbox.get("address", "")).lower()
        if address in seen:
            errors.append(f"mailboxes/{index}/address: mailbox {address!r} is defined twice")
        seen.add(address)
        if "tenant" in mailbox and str(mailbox["tenant"]).lower() not in tenants:
            errors.append(f"mailboxes/{index}/tenant: no tenant {mailbox['tenant']!r} in tenants")
        if "onprem" in mailbox and mailbox["onprem"] not in orgs:
            errors.append(f"mailboxes/{index}/onprem: no organisation {mailbox['onprem']!r} in onprem")
        for m_index, message in enumerate(mailbox.get("messages", []) or []):
            if isinstance(message, dict) and isinstance(message.get("received"), str):
                try:
                    _parse_time(message["received"])
                except ValueError:
                    errors.append(
                        f"mailboxes/{index}/messages/{m_index}/received: {message['received']!r} is not an ISO 8601 time such as 2026-01-31T09:30:00Z"
                    )
            for a_index, attachment in enumerate((message or {}).get("attachments", []) or []):
                if isinstance(attachment, dict) and "content_base64" in attachment:
                    try:
                        base64.b64decode(attachment["content_base64"], validate=True)
                    except (binascii.Error, ValueError):
                        errors.append(
                            f"mailboxes/{index}/messages/{m_index}/attachments/{a_index}/content_base64: not valid base64"
                        )
    return errors


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _party(value: Any) -> Recipient:
    if isinstance(value, str):
        return Recipient(value)
    return Recipient(value["address"], value.get("name", ""))


def _certificate(entry: dict, base: Path) -> AppCertificate:
    if "pem" in entry:
        pem = entry["pem"]
    else:
        path = Path(entry["file"])
        pem = (path if path.is_absolute() else base / path).read_text(encoding="utf-8")
    sha1, sha256, not_before, not_after = certificate_thumbprints(pem)
    return AppCertificate(pem=pem, sha1=sha1, sha256=sha256, not_before=not_before, not_after=not_after)


def populate(store: Store, seed: dict) -> None:
    """Clear ``store`` and fill it from a seed that ``load_seed`` returned."""
    base = Path(seed.get("_base_dir") or ".")
    with store.lock:
        store.clear()
        store.max_message_size = int((seed.get("settings") or {}).get("max_message_size", DEFAULT_MAX_MESSAGE_SIZE))
        for entry in seed.get("tenants", []):
            tenant = Tenant(tenant_id=entry["id"], name=entry.get("name", ""), domains=tuple(entry.get("domains", [])))
            for app_entry in entry.get("apps", []):
                scope = app_entry.get("scope")
                app = AppRegistration(
                    client_id=app_entry["client_id"],
                    name=app_entry.get("name", ""),
                    certificates=[_certificate(c, base) for c in app_entry.get("certificates", [])],
                    roles=frozenset(app_entry.get("roles", [])),
                    scope=frozenset(a.lower() for a in scope) if scope is not None else None,
                    scope_kind=app_entry.get("scope_kind", "rbac"),
                )
                tenant.apps[app.client_id.lower()] = app
            store.add_tenant(tenant)
        for entry in seed.get("onprem", []):
            org = OnPremOrg(
                name=entry["name"],
                host=entry.get("host", "localhost"),
                version=entry.get("version", "exchange2016"),
                domains=tuple(entry.get("domains", [])),
                auth=tuple(entry.get("auth", ["ntlm", "basic"])),
                netbios_domain=entry.get("netbios_domain", entry["name"].upper()),
            )
            for account in entry.get("service_accounts", []):
                org.service_accounts[account["username"].lower()] = ServiceAccount(
                    username=account["username"],
                    password=account["password"],
                    domain=org.netbios_domain,
                    impersonation=bool(account.get("impersonation", False)),
                )
            store.add_org(org)
        for entry in seed.get("mailboxes", []):
            tenant_id = None
            if "tenant" in entry:
                tenant = store.find_tenant(entry["tenant"])
                tenant_id = tenant.tenant_id if tenant else entry["tenant"]
            store.add_mailbox(
                entry["address"],
                display_name=entry.get("display_name", ""),
                tenant_id=tenant_id,
                org=entry.get("onprem"),
                has_archive=bool(entry.get("archive", False)),
                folders=entry.get("folders", []),
            )
            for message in entry.get("messages", []):
                _add_seed_message(store, entry["address"], message)


def _add_seed_message(store: Store, address: str, message: dict) -> None:
    attachments = []
    for item in message.get("attachments", []):
        if "content" in item:
            content = item["content"].encode("utf-8")
        elif "content_base64" in item:
            content = base64.b64decode(item["content_base64"])
        else:
            content = generated_bytes(item["size"], item.get("generator_seed") or f"{message['internet_message_id']}/{item['name']}")
        attachments.append(
            make_attachment(
                item["name"],
                content,
                item.get("content_type", "application/octet-stream"),
                is_inline=bool(item.get("is_inline", False)),
                content_id=item.get("content_id"),
            )
        )
    folder = message.get("folder", "inbox")
    store.ensure_folder_path(address, folder)
    received = _parse_time(message["received"])
    store.add_message(
        address,
        store.ensure_folder_path(address, folder).id,
        internet_message_id=message["internet_message_id"],
        sender=_party(message["from"]),
        to=[_party(p) for p in message.get("to", [address])],
        cc=[_party(p) for p in message.get("cc", [])],
        subject=message.get("subject", ""),
        received=received,
        body=message.get("body", ""),
        attachments=attachments,
        is_draft=bool(message.get("is_draft", False)),
        is_read=bool(message.get("is_read", False)),
    )
