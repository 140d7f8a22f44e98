"""Cross-object rules: what a JSON Schema of one object cannot check.

Each rule yields :class:`Finding` objects; the validator places them at a
file position. Values that are not plain strings (an unchecked vault value,
or a value the schema already rejected) are skipped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Iterator
from urllib.parse import urlsplit

from mar_runner.config import credentials
from mar_runner.config.issues import ERROR, WARNING
from mar_runner.config.values import ALL_DOMAINS, is_guid, is_hostname, normalize_domain, normalize_thumbprint, parse_duration
from mar_runner.i18n import _

MAX_LOOKBACK = timedelta(days=90)

# Exchange Online host names: EWS impersonation there is gone (ApplicationImpersonation
# was removed in 2025 and Microsoft blocks EWS for other apps from October 2026).
EXCHANGE_ONLINE_HOSTS = (
    "outlook.office365.com",
    "outlook.office.com",
    "outlook.office365.us",
    "outlook-dod.office365.us",
    "webmail.apps.mil",
    "partner.outlook.cn",
)
EXCHANGE_ONLINE_SUFFIXES = (".outlook.com", ".office365.com", ".office365.us", ".outlook.cn")


@dataclass(frozen=True)
class Finding:
    """One rule violation at ``path`` (variable name, then keys and indexes)."""

    path: tuple
    object: str
    rule: str
    fix: str
    severity: str = ERROR


Locate = Callable[[tuple], tuple[str, int, int]]


def _items(config: dict, var: str) -> list[tuple[int, dict]]:
    value = config.get(var)
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def object_label(config: dict, var: str, index: int | None = None) -> str:
    """Return the name an issue shows for an object: its ``name``, else ``var[index]``."""
    if index is None:
        return var
    item = config.get(var, [])[index]
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) and name else f"{var}[{index}]"


def _line_of(locate: Locate, path: tuple) -> int:
    return locate(path)[1]


def check_names(config: dict, locate: Locate) -> Iterator[Finding]:
    """Profile names are unique across account and chained profiles; policy names are unique."""
    for group in (("mar_account_profiles", "mar_chained_profiles"), ("mar_policies",)):
        seen: dict[str, tuple] = {}
        for var in group:
            for index, item in _items(config, var):
                name = item.get("name")
                if not isinstance(name, str):
                    continue
                path = (var, index, "name")
                if name in seen:
                    first = _line_of(locate, seen[name])
                    yield Finding(
                        path,
                        name,
                        _("name '{name}' is declared twice (first on line {line})").format(name=name, line=first)
                        if first
                        else _("name '{name}' is declared twice").format(name=name),
                        _("give each profile and each policy its own name"),
                    )
                else:
                    seen[name] = path


def check_settings(config: dict, locate: Locate) -> Iterator[Finding]:
    """``lookback`` is at most 90 days."""
    settings = config.get("mar_settings")
    if not isinstance(settings, dict) or not isinstance(settings.get("lookback"), str):
        return
    try:
        lookback = parse_duration(settings["lookback"])
    except ValueError:
        return  # the schema's pattern already reported it
    if lookback > MAX_LOOKBACK:
        yield Finding(
            ("mar_settings", "lookback"),
            "mar_settings",
            _("'lookback' is {value}, longer than 90d").format(value=settings["lookback"]),
            _("use at most 90d (or 2160h)"),
        )


def _str(item: dict, key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def check_graph_profile(var: str, index: int, item: dict, name: str) -> Iterator[Finding]:
    """GUIDs, thumbprint form, private key, certificate agreement, CA certificate."""
    base = (var, index)
    client_id = _str(item, "client_id")
    if client_id and not is_guid(client_id):
        yield Finding(
            base + ("client_id",),
            name,
            _("client_id '{value}' is not a GUID").format(value=client_id),
            _("copy the Application (client) ID of the app registration, like 00000000-0000-0000-0000-000000000001"),
        )
    tenant_id = _str(item, "tenant_id")
    if tenant_id and not is_guid(tenant_id):
        try:
            normalize_domain(tenant_id)
        except ValueError:
            yield Finding(
                base + ("tenant_id",),
                name,
                _("tenant_id '{value}' is neither a GUID nor a domain").format(value=tenant_id),
                _("copy the Directory (tenant) ID, or give a verified domain such as contoso.onmicrosoft.com"),
            )
    yield from _check_key_and_certificate(base, item, name)
    yield from _check_ca(base, item, name)


def _check_key_and_certificate(base: tuple, item: dict, name: str) -> Iterator[Finding]:
    """Thumbprint form, private key, and their agreement with the certificate when one is given."""
    thumbprint = None
    text = _str(item, "thumbprint")
    if text:
        try:
            thumbprint = normalize_thumbprint(text)
        except ValueError:
            yield Finding(
                base + ("thumbprint",),
                name,
                _("thumbprint '{value}' is not a SHA-1 or SHA-256 certificate hash").format(value=text),
                _("give 40 or 64 hex digits (spaces and colons allowed) or the base64 form of the hash"),
            )
    key = None
    pem = _str(item, "private_key")
    passphrase = item.get("private_key_passphrase")
    if pem and (passphrase is None or isinstance(passphrase, str)):
        key, problem = credentials.load_private_key(pem, passphrase)
        if problem:
            yield Finding(base + ("private_key",), name, problem[0], problem[1])
    cert_pem = _str(item, "certificate")
    if cert_pem:
        certificate, problem = credentials.load_certificate(cert_pem, "certificate")
        if problem:
            yield Finding(base + ("certificate",), name, problem[0], problem[1])
        elif certificate is not None:
            if key is not None and not credentials.key_matches_certificate(key, certificate):
                yield Finding(
                    base + ("private_key",),
                    name,
                    _("private_key does not belong to certificate"),
                    _("give the key and the certificate of the same key pair"),
                )
            if thumbprint is not None and not credentials.thumbprint_matches(thumbprint, certificate):
                sha1, _sha256 = credentials.certificate_thumbprints(certificate)
                yield Finding(
                    base + ("thumbprint",),
                    name,
                    _("thumbprint is not the thumbprint of certificate (its SHA-1 thumbprint is {sha1})").format(sha1=sha1),
                    _("copy the thumbprint shown for this certificate in the app registration"),
                )


def _check_ca(base: tuple, item: dict, name: str) -> Iterator[Finding]:
    ca_pem = _str(item, "ca_certificate")
    if ca_pem:
        _certs, problem = credentials.load_certificates(ca_pem, "ca_certificate")
        if problem:
            yield Finding(base + ("ca_certificate",), name, problem[0], problem[1])


def ews_host_name(host: str) -> str | None:
    """Return the host name of an ews ``host`` value (name, name:port or EWS URL), or None."""
    if "://" in host:
        parts = urlsplit(host)
        if parts.scheme != "https" or not parts.hostname:
            return None
        return parts.hostname
    hostname, _sep, port = host.partition(":")
    if port and not port.isdigit():
        return None
    return hostname.lower() if is_hostname(hostname) else None


def check_ews_profile(var: str, index: int, item: dict, name: str) -> Iterator[Finding]:
    """Host form, Exchange Online hosts rejected, user name form, CA certificate."""
    base = (var, index)
    host = _str(item, "host")
    if host:
        hostname = ews_host_name(host)
        if hostname is None:
            yield Finding(
                base + ("host",),
                name,
                _("host '{value}' is neither a host name nor an https EWS URL").format(value=host),
                _("give the Exchange server's host name, like mail.corp.example.com, or https://mail.corp.example.com/EWS/Exchange.asmx"),
            )
        elif hostname in EXCHANGE_ONLINE_HOSTS or hostname.endswith(EXCHANGE_ONLINE_SUFFIXES):
            yield Finding(
                base + ("host",),
                name,
                _("host '{value}' is Exchange Online, which no longer allows EWS impersonation").format(value=hostname),
                _("use a profile of type graph for Exchange Online mailboxes"),
            )
    username = _str(item, "username")
    if username and "\\" not in username and "@" not in username:
        yield Finding(
            base + ("username",),
            name,
            _("username '{value}' is neither DOMAIN\\user nor a user principal name").format(value=username),
            _("write it as CORP\\svc-mar or svc-mar@corp.example.com"),
        )
    yield from _check_ca(base, item, name)


def check_profiles(config: dict, locate: Locate) -> Iterator[Finding]:
    """Run the per-type checks of every account profile."""
    for index, item in _items(config, "mar_account_profiles"):
        name = object_label(config, "mar_account_profiles", index)
        if item.get("type") == "graph":
            yield from check_graph_profile("mar_account_profiles", index, item, name)
        elif item.get("type") == "ews":
            yield from check_ews_profile("mar_account_profiles", index, item, name)


def _profile_names(config: dict, var: str) -> set[str]:
    return {item["name"] for _i, item in _items(config, var) if isinstance(item.get("name"), str)}


def check_chains(config: dict, locate: Locate) -> Iterator[Finding]:
    """Chain members exist, are account profiles (not chains) and appear once."""
    accounts = _profile_names(config, "mar_account_profiles")
    chains = _profile_names(config, "mar_chained_profiles")
    for index, item in _items(config, "mar_chained_profiles"):
        name = object_label(config, "mar_chained_profiles", index)
        members = item.get("profiles")
        if not isinstance(members, list):
            continue
        seen: set[str] = set()
        for position, member in enumerate(members):
            path = ("mar_chained_profiles", index, "profiles", position)
            if not isinstance(member, str):
                continue
            if member in seen:
                yield Finding(path, name, _("profile '{member}' is listed twice").format(member=member), _("list each profile once"))
                continue
            seen.add(member)
            if member in chains:
                yield Finding(
                    path,
                    name,
                    _("'{member}' is a chained profile; a chain holds account profiles only").format(member=member),
                    _("list the account profiles of '{member}' here instead").format(member=member),
                )
            elif member not in accounts:
                yield Finding(
                    path,
                    name,
                    _("unknown account profile '{member}'").format(member=member),
                    _("declare it in mar_account_profiles or correct the name"),
                )


def check_mappings(config: dict, locate: Locate, yaml11: Callable[[tuple], str | None]) -> Iterator[Finding]:
    """Mapped profiles exist; each domain (after IDNA) and ALL appear once; one mapping per profile."""
    known = _profile_names(config, "mar_account_profiles") | _profile_names(config, "mar_chained_profiles")
    seen_domains: dict[str, tuple] = {}
    seen_profiles: dict[str, tuple] = {}
    for index, item in _items(config, "mar_domain_mappings"):
        label = f"mar_domain_mappings[{index}]"
        profile = item.get("profile")
        if isinstance(profile, str) and profile:
            path = ("mar_domain_mappings", index, "profile")
            if profile not in known:
                yield Finding(
                    path,
                    label,
                    _("unknown profile '{profile}'").format(profile=profile),
                    _("declare it in mar_account_profiles or mar_chained_profiles, or correct the name"),
                )
            if profile in seen_profiles:
                first = _line_of(locate, seen_profiles[profile])
                yield Finding(
                    path,
                    label,
                    _("profile '{profile}' has a second mapping (first on line {line})").format(profile=profile, line=first)
                    if first
                    else _("profile '{profile}' has a second mapping").format(profile=profile),
                    _("merge the domain lists into one mapping per profile"),
                )
            else:
                seen_profiles[profile] = path
        domains = item.get("domains")
        if not isinstance(domains, list):
            continue
        for position, domain in enumerate(domains):
            path = ("mar_domain_mappings", index, "domains", position)
            if not isinstance(domain, str):
                continue  # the schema reports it (a YAML 1.1 boolean among them)
            if domain.startswith("*"):
                yield Finding(
                    path,
                    label,
                    _("wildcard domain '{domain}' is not supported").format(domain=domain),
                    _("list each domain, or map ALL to cover every domain not listed"),
                )
                continue
            if domain.upper() == ALL_DOMAINS and domain != ALL_DOMAINS:
                yield Finding(path, label, _("'{domain}' must be written ALL in capitals").format(domain=domain), _("write ALL"))
                continue
            try:
                key = normalize_domain(domain)
            except ValueError:
                if domain in ("True", "False"):
                    # Ansible's YAML loader reads an unquoted yes, no, on or off as a
                    # boolean, and the module's argument spec turns it into this text.
                    fix = _("an unquoted yes, no, on, off, true or false is a YAML boolean: quote the domain")
                else:
                    fix = _("write a domain such as example.com, or ALL")
                yield Finding(path, label, _("'{domain}' is not a domain name").format(domain=domain), fix)
                continue
            if key in seen_domains:
                first = _line_of(locate, seen_domains[key])
                if key == ALL_DOMAINS:
                    rule = _("ALL appears twice (first on line {line})").format(line=first) if first else _("ALL appears twice")
                elif first:
                    rule = _("domain '{domain}' is already mapped (first on line {line})").format(domain=domain, line=first)
                else:
                    rule = _("domain '{domain}' is already mapped").format(domain=domain)
                yield Finding(path, label, rule, _("keep each domain in one mapping only"))
            else:
                seen_domains[key] = path


def check_policies(config: dict, locate: Locate) -> Iterator[Finding]:
    """Recipient patterns are an address, ``@domain`` or ``user@``."""
    for index, item in _items(config, "mar_policies"):
        name = object_label(config, "mar_policies", index)
        patterns = item.get("recipients")
        if not isinstance(patterns, list):
            continue
        for position, pattern in enumerate(patterns):
            if isinstance(pattern, str) and not _is_recipient_pattern(pattern):
                yield Finding(
                    ("mar_policies", index, "recipients", position),
                    name,
                    _("recipient pattern '{pattern}' is not an address, @domain or user@").format(pattern=pattern),
                    _("write user@example.com, @example.com or user@"),
                )


def _is_recipient_pattern(pattern: str) -> bool:
    local, at, domain = pattern.partition("@")
    if not at or "@" in domain or "*" in pattern or any(ch.isspace() for ch in pattern):
        return False
    if not local and not domain:
        return False
    if domain:
        try:
            normalize_domain(domain)
        except ValueError:
            return False
    return True


def check_all(config: dict, locate: Locate, yaml11: Callable[[tuple], str | None]) -> Iterator[Finding]:
    """Run every cross-object rule."""
    yield from check_names(config, locate)
    yield from check_settings(config, locate)
    yield from check_profiles(config, locate)
    yield from check_chains(config, locate)
    yield from check_mappings(config, locate, yaml11)
    yield from check_policies(config, locate)


__all__ = ["Finding", "check_all", "EXCHANGE_ONLINE_HOSTS", "WARNING"]
