"""The sandbox: TLS listeners on 127.0.0.1 for Entra ID login, Graph, EWS (one per organisation) and control.

Typical use::

    with Sandbox("seed.yml") as sandbox:
        sandbox.login_url     # https://127.0.0.1:PORT  (the msal authority is login_url + "/" + tenant)
        sandbox.graph_url     # https://127.0.0.1:PORT  (requests go to graph_url + "/v1.0/...")
        sandbox.ews_url("corp")
        sandbox.ca_file       # PEM of the CA that signed the server certificates
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
import os
import secrets
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mar_sandbox.certs import (
    SERVER_NAMES,
    WRONG_SERVER_NAME,
    CertificateAuthority,
    create_ca,
    issue_server_certificate,
    load_ca,
    write_private,
)
from mar_sandbox.context import Clock, RequestLog, SandboxContext
from mar_sandbox.faults import Faults
from mar_sandbox.http_base import LOOPBACK, Listener, SandboxHTTPServer
from mar_sandbox.seed import load_seed, populate
from mar_sandbox.store import Store

log = logging.getLogger("mar_sandbox")

ENDPOINT_FILE = "sandbox.json"


def _load_ews_module() -> Any | None:
    try:
        return importlib.import_module("mar_sandbox.ews")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("mar_sandbox.ews"):
            log.warning("EWS front end not available (%s): serving no EWS endpoint", exc)
            return None
        raise


class Sandbox:
    """Local stand-in for Entra ID, Graph mail and on-premises EWS, seeded from a YAML file or dict."""

    def __init__(
        self,
        seed: str | os.PathLike[str] | dict | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        *,
        ca: CertificateAuthority | None = None,
        ca_cert: str | os.PathLike[str] | None = None,
        ca_key: str | os.PathLike[str] | None = None,
        login_port: int = 0,
        graph_port: int = 0,
        ews_port: int = 0,
        control_port: int = 0,
    ) -> None:
        self._seed = load_seed(seed if seed is not None else {})
        if ca is None and (ca_cert or ca_key):
            if not (ca_cert and ca_key):
                raise ValueError("give both the CA certificate and its key, or neither")
            ca = load_ca(ca_cert, ca_key)
        # Created only after every check above, so a rejected argument leaves no directory.
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir is not None else Path(tempfile.mkdtemp(prefix="mar-sandbox-"))
        self._ca = ca
        self._ports = {"login": login_port, "graph": graph_port, "ews": ews_port, "control": control_port}
        self.clock = Clock()
        self.store = Store(clock=self.clock.now)
        self.faults = Faults()
        self.context = SandboxContext(
            store=self.store,
            faults=self.faults,
            log=RequestLog(),
            clock=self.clock,
            token_secret=secrets.token_bytes(32),
        )
        self.control_token = secrets.token_urlsafe(24)
        self._listeners: dict[str, Listener] = {}
        self._stop_lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._apply_seed()
        self.started = False

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> "Sandbox":
        """Create the certificates and start every listener; returns self."""
        if self.started:
            return self
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write_certificates()
        self.faults.stopping.clear()
        try:
            self._start_listener("login", self._handler("mar_sandbox.login", "make_handler_class"))
            self._start_listener("graph", self._handler("mar_sandbox.graph", "make_handler_class"))
            self._start_listener("control", self._control_handler())
            self._start_ews_listeners()
        except BaseException:
            self.stop()
            raise
        self.started = True
        self._write_endpoint_file()
        log.info("sandbox started: %s", ", ".join(f"{k}={v}" for k, v in self.context.urls.items()))
        return self

    def stop(self) -> None:
        """Stop every listener, end hanging responses and remove a temporary state directory."""
        self.faults.stopping.set()
        # The control API's shutdown calls this from a worker thread while
        # the owner may call it too; the lock makes the second call a no-op.
        with self._stop_lock:
            listeners = list(self._listeners.values())
            self._listeners.clear()
            for listener in listeners:
                listener.stop()
            self.context.urls.clear()
            if self.started:
                (self.state_dir / ENDPOINT_FILE).unlink(missing_ok=True)
                log.info("sandbox stopped")
            self.started = False
            if self._own_state_dir:
                shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- endpoints ------------------------------------------------------------------

    @property
    def ca_file(self) -> str:
        return str(self.state_dir / "ca.pem")

    @property
    def login_url(self) -> str:
        return self.context.urls["login"]

    @property
    def graph_url(self) -> str:
        return self.context.urls["graph"]

    @property
    def control_url(self) -> str:
        return self.context.urls["control"]

    def ews_url(self, org: str) -> str:
        """Return ``https://127.0.0.1:PORT/EWS/Exchange.asmx`` of an organisation's EWS listener."""
        return self._ews_base(org) + "/EWS/Exchange.asmx"

    def ews_host(self, org: str) -> str:
        """Return ``127.0.0.1:PORT`` of an organisation's EWS listener."""
        return self._ews_base(org).split("://", 1)[1]

    def _ews_base(self, org: str) -> str:
        try:
            return self.context.urls[f"ews:{org}"]
        except KeyError:
            raise KeyError(f"no EWS listener for organisation {org!r}") from None

    def endpoints(self) -> dict:
        """Return the endpoint description written to sandbox.json (without the control token)."""
        return {
            "pid": os.getpid(),
            "ca_file": self.ca_file,
            "login_url": self.context.urls.get("login"),
            "graph_url": self.context.urls.get("graph"),
            "control_url": self.context.urls.get("control"),
            "ews": {
                name.split(":", 1)[1]: url + "/EWS/Exchange.asmx"
                for name, url in self.context.urls.items()
                if name.startswith("ews:")
            },
        }

    # -- state ------------------------------------------------------------------------

    def reset(self) -> None:
        """Restore the seed's mailboxes, faults and settings; clear the request log and clock offset."""
        self._apply_seed()
        self.context.log.clear()

    def load_seed(self, seed: str | os.PathLike[str] | dict) -> None:
        """Replace the seed and reset to it; start an EWS listener for each organisation that has none yet."""
        self._seed = load_seed(seed)
        self.reset()
        if self.started:
            self._start_ews_listeners()

    def seed_copy(self) -> dict:
        """Return a copy of the current seed, to change and pass to ``load_seed``."""
        seed = copy.deepcopy(self._seed)
        seed.pop("_base_dir", None)
        return seed

    def _apply_seed(self) -> None:
        populate(self.store, self._seed)
        self.faults.configure(self._seed.get("faults"))
        settings = self._seed.get("settings") or {}
        self.context.token_lifetime = int(settings.get("token_lifetime", 3599))
        self.clock.set_offset(float(settings.get("clock_offset", 0)))
        for callback in list(self.context.on_reset):
            callback()

    def inspect(self, address: str) -> dict:
        """Return a mailbox's folders and messages (see Store.inspect)."""
        return self.store.inspect(address)

    def request_log(self, service: str | None = None, since: int = 0) -> list[dict]:
        """Return the requests served, oldest first (ids and codes only)."""
        return self.context.log.entries(service, since)

    # -- faults and time ------------------------------------------------------------

    def add_fault(self, kind: str, **fields: Any) -> int:
        """Add a fault rule (see mar_sandbox.faults) and return its id."""
        return self.faults.add_rule({"kind": kind, **fields})

    def remove_fault(self, rule_id: int) -> None:
        self.faults.remove_rule(rule_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_concurrency_limit(self, service: str, limit: int | None) -> None:
        self.faults.set_concurrency_limit(service, limit)

    def set_rate_limit(self, service: str, requests: int, per_seconds: float, retry_after: float = 1.0) -> None:
        self.faults.set_rate_limit(service, requests, per_seconds, retry_after)

    def set_clock_offset(self, seconds: float) -> None:
        """Move the sandbox's clock (token expiry, assertion time checks, received times)."""
        self.clock.set_offset(seconds)

    def set_token_lifetime(self, seconds: int) -> None:
        self.context.token_lifetime = int(seconds)

    # -- internals ----------------------------------------------------------------------

    def _handler(self, module_name: str, factory: str) -> type:
        module = importlib.import_module(module_name)
        return getattr(module, factory)(self.context)

    def _control_handler(self) -> type:
        from mar_sandbox.control import make_handler_class

        return make_handler_class(self)

    def _write_certificates(self) -> None:
        if self._ca is None:
            self._ca = create_ca()
        cert_pem, key_pem = issue_server_certificate(self._ca, SERVER_NAMES)
        (self.state_dir / "ca.pem").write_bytes(self._ca.cert_pem)
        write_private(self.state_dir / "ca-key.pem", self._ca.key_pem)
        (self.state_dir / "server.pem").write_bytes(cert_pem)
        write_private(self.state_dir / "server-key.pem", key_pem)
        self._contexts = {"right": self._ssl_context("server.pem", "server-key.pem")}

    def _wrong_context(self) -> ssl.SSLContext:
        # Made on first use: most runs never inject a wrong certificate.
        with self._stop_lock:
            if "wrong" not in self._contexts:
                assert self._ca is not None
                wrong_cert, wrong_key = issue_server_certificate(self._ca, (WRONG_SERVER_NAME,))
                (self.state_dir / "wrong-host.pem").write_bytes(wrong_cert)
                write_private(self.state_dir / "wrong-host-key.pem", wrong_key)
                self._contexts["wrong"] = self._ssl_context("wrong-host.pem", "wrong-host-key.pem")
            return self._contexts["wrong"]

    def _ssl_context(self, cert: str, key: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.state_dir / cert, self.state_dir / key)
        return context

    def _context_chooser(self, service: str) -> Callable[[], ssl.SSLContext]:
        def choose() -> ssl.SSLContext:
            if self.faults.wrong_certificate(service):
                return self._wrong_context()
            return self._contexts["right"]

        return choose

    def _start_listener(self, name: str, handler: type, port: int | None = None) -> None:
        service = name.split(":", 1)[0]
        if port is None:
            port = self._ports.get(name, 0)
        server = SandboxHTTPServer(port, handler, self._context_chooser(service), name)
        listener = Listener(server)
        listener.start()
        self._listeners[name] = listener
        self.context.urls[name] = f"https://{LOOPBACK}:{server.port}"

    def _start_ews_listeners(self) -> None:
        # With --ews-port N the organisations get N, N+1, ... in name order.
        ews = _load_ews_module()
        if ews is None:
            return
        for index, org in enumerate(sorted(self.store.orgs)):
            if f"ews:{org}" in self._listeners:
                continue
            port = self._ports["ews"] + index if self._ports["ews"] else 0
            self._start_listener(f"ews:{org}", ews.make_handler_class(self.context, org), port=port)
        if self.started:
            self._write_endpoint_file()

    def _write_endpoint_file(self) -> None:
        data = self.endpoints()
        data["control_token"] = self.control_token
        write_private(self.state_dir / ENDPOINT_FILE, json.dumps(data, indent=2).encode())
