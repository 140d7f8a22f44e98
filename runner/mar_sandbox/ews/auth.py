"""Basic and NTLM authentication of EWS requests.

NTLM is connection-bound, as on IIS: the three legs (negotiate, challenge, authenticate) run on
one keep-alive connection, and later requests on that connection are authenticated without
an Authorization header. pyspnego's acceptor reads the accounts from the file named by the
NTLM_USER_FILE environment variable when it checks the client's last message. This module keeps
one such file (mode 0600) per organisation and, under a lock around that step, points the
variable at the organisation's file. Two organisations (or two sandboxes in one process) whose
accounts share a name therefore never see each other's passwords.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import hmac
import logging
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass, field

import spnego
import spnego.exceptions

from .backend import MailboxBackend, ServiceAccount

log = logging.getLogger("mar_sandbox.ews")

_USER_FILE_LOCK = threading.Lock()
_BACKENDS: "weakref.WeakSet[object]" = weakref.WeakSet()
_USER_DIR: str | None = None


class AuthenticationFailed(Exception):
    """Missing or wrong credentials; the caller sends 401 with these challenges."""

    def __init__(self, challenges: list[str]) -> None:
        super().__init__("authentication required")
        self.challenges = challenges


@dataclass
class ConnectionAuth:
    """Authentication state of one TCP connection."""

    account: ServiceAccount | None = None
    ntlm: object | None = field(default=None, repr=False)


def register_backend(backend: MailboxBackend) -> None:
    _BACKENDS.add(backend)


def challenges(methods: tuple[str, ...], host: str) -> list[str]:
    found = []
    if "ntlm" in methods:
        found.append("Negotiate")
        found.append("NTLM")
    if "basic" in methods:
        found.append(f'Basic realm="{host}"')
    return found


def _write_user_file(backend: MailboxBackend) -> str:
    """Write the NTLM account file of one organisation and return its path."""
    global _USER_DIR
    if _USER_DIR is None or not os.path.isdir(_USER_DIR):
        # A cleaner of the temporary directory may have removed it; start a new one then.
        _USER_DIR = tempfile.mkdtemp(prefix="mar-sandbox-ntlm-")
        atexit.register(shutil.rmtree, _USER_DIR, True)
    path = os.path.join(_USER_DIR, f"users-{id(backend):x}")
    lines = []
    for account in backend.service_accounts():  # type: ignore[attr-defined]
        if "ntlm" in account.auth_methods:
            lines.append(f"{account.domain}:{account.username}:{account.password}")
            # A client signing in as user@domain, or as a bare user name, sends an empty NTLM domain.
            lines.extend(f":{name}:{account.password}" for name in account.user_principal_names())
            lines.append(f":{account.username}:{account.password}")
    descriptor = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    return path


def authenticate(
    header: str | None, state: ConnectionAuth, backend: MailboxBackend, methods: tuple[str, ...], host: str
) -> tuple[ServiceAccount | None, str | None]:
    """Authenticate one request.

    Returns (account, None) once authenticated, or (None, token) when an NTLM challenge must be
    sent back with 401. Raises AuthenticationFailed for missing or wrong credentials.
    """
    offered = challenges(methods, host)
    if not header:
        if state.account is not None:
            return state.account, None
        raise AuthenticationFailed(offered)
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "basic" and "basic" in methods:
        account = _basic(value.strip(), backend)
        if account is None or "basic" not in account.auth_methods:
            raise AuthenticationFailed(offered)
        return account, None
    if scheme in ("ntlm", "negotiate") and "ntlm" in methods:
        return _ntlm(scheme, value.strip(), state, backend, offered)
    raise AuthenticationFailed(offered)


def _basic(value: str, backend: MailboxBackend) -> ServiceAccount | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, separator, password = decoded.partition(":")
    if not separator:
        return None
    account = backend.service_account(login)
    if account is None or not hmac.compare_digest(account.password.encode(), password.encode()):
        log.info("Basic authentication failed for %s", login)
        return None
    return account


def _is_initial_token(token: bytes) -> bool:
    """Tell whether a token opens a handshake: an NTLM negotiate message (type 1) or a SPNEGO initial token."""
    is_ntlm_negotiate = token.startswith(b"NTLMSSP\x00") and len(token) >= 12 and token[8] == 1
    return is_ntlm_negotiate or token[:1] == b"\x60"


def _ntlm(
    scheme: str, value: str, state: ConnectionAuth, backend: MailboxBackend, offered: list[str]
) -> tuple[ServiceAccount | None, str | None]:
    try:
        token = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise AuthenticationFailed(offered) from None
    if _is_initial_token(token):
        # A new handshake on this connection. Negotiate carries NTLM inside SPNEGO (or bare);
        # the sandbox offers no Kerberos, so NTLM is the only mechanism either way.
        state.account = None
        with _USER_FILE_LOCK:
            # pyspnego refuses to build an acceptor unless the variable names an existing file.
            os.environ["NTLM_USER_FILE"] = _write_user_file(backend)
            state.ntlm = spnego.server(protocol="negotiate" if scheme == "negotiate" else "ntlm")
    if state.ntlm is None:
        raise AuthenticationFailed(offered)

    context = state.ntlm
    try:
        with _USER_FILE_LOCK:
            # The accounts are read during this step, from the file the variable names now.
            os.environ["NTLM_USER_FILE"] = _write_user_file(backend)
            output = context.step(token)  # type: ignore[attr-defined]
    except (spnego.exceptions.SpnegoError, ValueError) as exc:
        log.info("%s authentication failed: %s", scheme.upper(), type(exc).__name__)
        state.ntlm = None
        raise AuthenticationFailed(offered) from None
    if not context.complete:  # type: ignore[attr-defined]
        prefix = "NTLM" if scheme == "ntlm" else "Negotiate"
        return None, f"{prefix} {base64.b64encode(output or b'').decode('ascii')}"

    principal = context.client_principal or ""  # type: ignore[attr-defined]
    state.ntlm = None
    account = backend.service_account(principal)
    if account is None or "ntlm" not in account.auth_methods:
        log.info("%s authentication failed: no NTLM account %s", scheme.upper(), principal)
        raise AuthenticationFailed(offered)
    state.account = account
    return account, None
