"""``marctl sandbox up|down|status|inspect``: run the local Entra ID, Graph and EWS stand-in.

``up`` runs in the foreground until Ctrl+C or ``down``; with ``--detach`` it
starts the same command in a new session, waits for the endpoint file and
returns. The endpoint file ``sandbox.json`` (mode 0600) in the sandbox state
directory (default ``<state dir>/sandbox``) holds the URLs, the CA file, the
process id and the control token that ``down``, ``status`` and ``inspect`` use.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from mar_runner.i18n import _
from mar_runner.state import resolve_state_dir

log = logging.getLogger("mar_runner.cli")

ENDPOINT_FILE = "sandbox.json"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:  # noqa: ANN001 - argparse's private subparsers type
    """Add ``sandbox`` and its subcommands."""
    parser = subparsers.add_parser("sandbox", help="run the local Entra ID, Graph and EWS sandbox")
    commands = parser.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _usage(parser))

    up = commands.add_parser("up", help="start the sandbox on 127.0.0.1")
    up.add_argument("--seed", required=True, metavar="FILE", help="seed file (YAML) with tenants, organisations and mailboxes")
    _state_dir_option(up)
    up.add_argument("--detach", action="store_true", help="run in the background and return once it listens")
    up.add_argument("--ca-cert", metavar="PEM", help="CA certificate to sign the server certificates with (default: a new CA)")
    up.add_argument("--ca-key", metavar="PEM", help="private key of --ca-cert")
    for name in ("login", "graph", "ews"):
        up.add_argument(f"--{name}-port", type=int, default=0, metavar="N", help=f"TCP port of the {name} endpoint (default: any free port)")
    up.add_argument(
        "--stop-after",
        type=float,
        default=0,
        metavar="SECONDS",
        help="stop by itself after this many seconds, so a forgotten sandbox does not linger (default: run until stopped)",
    )
    up.set_defaults(func=cmd_up)

    down = commands.add_parser("down", help="stop the sandbox")
    _state_dir_option(down)
    down.set_defaults(func=cmd_down)

    status = commands.add_parser("status", help="show whether the sandbox runs and its endpoints")
    _state_dir_option(status)
    status.set_defaults(func=cmd_status)

    inspect = commands.add_parser("inspect", help="show a mailbox's folders and messages")
    inspect.add_argument("mailbox", metavar="MAILBOX", help="SMTP address of the mailbox")
    inspect.add_argument("--requests", action="store_true", help="show the log of requests served instead")
    _state_dir_option(inspect)
    inspect.set_defaults(func=cmd_inspect)


def _state_dir_option(parser) -> None:  # noqa: ANN001
    parser.add_argument(
        "--state-dir",
        dest="sandbox_dir",
        metavar="DIR",
        help="sandbox state directory: certificates and the endpoint file (default: <state dir>/sandbox)",
    )


def _usage(parser) -> int:  # noqa: ANN001
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def sandbox_dir(args) -> Path:  # noqa: ANN001
    """Return the sandbox state directory the options select."""
    if getattr(args, "sandbox_dir", None):
        return Path(args.sandbox_dir).expanduser()
    return resolve_state_dir(args.state_dir) / "sandbox"


def read_endpoints(directory: Path) -> dict | None:
    """Return the endpoint file of a running sandbox, or None when there is none or its process is gone."""
    path = directory / ENDPOINT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(int(data.get("pid", 0))):
        return None
    return data


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A process that exited but was not reaped yet (its parent, the
    # `up --detach` command, is gone) is a zombie: it no longer runs.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _control(endpoints: dict, method: str, route: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.request(
        method,
        endpoints["control_url"] + route,
        headers={"X-Sandbox-Token": endpoints["control_token"]},
        verify=endpoints["ca_file"],
        timeout=10,
    )


def _print_endpoints(endpoints: dict, directory: Path) -> None:
    print(_("Sandbox running (pid {pid}).").format(pid=endpoints["pid"]))
    print(_("Login (Entra ID): {url}").format(url=endpoints["login_url"]))
    print(_("Graph: {url}").format(url=endpoints["graph_url"]))
    for org, url in sorted(endpoints.get("ews", {}).items()):
        print(_("EWS ({org}): {url}").format(org=org, url=url))
    print(_("CA certificate: {path}").format(path=endpoints["ca_file"]))
    print(_("Control API: {url}").format(url=endpoints["control_url"]))
    print(_("Endpoint file: {path}").format(path=directory / ENDPOINT_FILE))


# -- up ---------------------------------------------------------------------------------


def cmd_up(args) -> int:  # noqa: ANN001
    directory = sandbox_dir(args)
    running = read_endpoints(directory)
    if running:
        print(
            _("A sandbox is already running from {path} (pid {pid}). Stop it with: marctl sandbox down").format(
                path=directory, pid=running["pid"]
            ),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if bool(args.ca_cert) != bool(args.ca_key):
        print(_("Give the CA certificate and its key together (--ca-cert and --ca-key)."), file=sys.stderr)
        return EXIT_USAGE
    if not Path(args.seed).is_file():
        print(_("Seed file not found: {path}").format(path=args.seed), file=sys.stderr)
        return EXIT_USAGE
    if args.detach:
        return _up_detached(args, directory)
    return _up_foreground(args, directory)


def _up_foreground(args, directory: Path) -> int:  # noqa: ANN001
    from mar_sandbox import Sandbox
    from mar_sandbox.seed import SeedError

    try:
        sandbox = Sandbox(
            args.seed,
            state_dir=directory,
            ca_cert=args.ca_cert,
            ca_key=args.ca_key,
            login_port=args.login_port,
            graph_port=args.graph_port,
            ews_port=args.ews_port,
        )
    except SeedError as exc:
        print(_("Invalid seed file {path}:").format(path=args.seed), file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, OSError) as exc:
        print(_("Cannot start the sandbox: {error}").format(error=exc), file=sys.stderr)
        return EXIT_USAGE
    try:
        sandbox.start()
    except OSError as exc:
        print(_("Cannot start the sandbox: {error}").format(error=exc), file=sys.stderr)
        return EXIT_FAILURE
    stop_requested = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop_requested.set()

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _serve_until_stopped(sandbox, args, directory, stop_requested)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _serve_until_stopped(sandbox, args, directory: Path, stop_requested: threading.Event) -> int:  # noqa: ANN001
    try:
        _print_endpoints(sandbox.endpoints(), directory)
        print(_("Press Ctrl+C to stop."), flush=True)
        deadline = time.monotonic() + args.stop_after if args.stop_after > 0 else None
        # The control API's shutdown stops the sandbox from another thread,
        # which sets the stopping event; a signal sets stop_requested.
        while not stop_requested.is_set() and not sandbox.context.stopping.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                log.warning("sandbox stops after --stop-after %s seconds", args.stop_after)
                break
            stop_requested.wait(0.2)
    finally:
        sandbox.stop()
    print(_("Sandbox stopped."), flush=True)
    return EXIT_OK


def _up_detached(args, directory: Path) -> int:  # noqa: ANN001
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    (directory / ENDPOINT_FILE).unlink(missing_ok=True)
    command = [sys.executable, "-m", "mar_runner.cli.main"]
    if args.lang:
        command += ["--lang", args.lang]
    command += ["sandbox", "up", "--seed", str(Path(args.seed).resolve()), "--state-dir", str(directory.resolve())]
    if args.ca_cert:
        command += ["--ca-cert", str(Path(args.ca_cert).resolve()), "--ca-key", str(Path(args.ca_key).resolve())]
    for name in ("login", "graph", "ews"):
        port = getattr(args, f"{name}_port")
        if port:
            command += [f"--{name}-port", str(port)]
    if args.stop_after > 0:
        command += ["--stop-after", str(args.stop_after)]
    log_path = directory / "sandbox.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        endpoints = read_endpoints(directory)
        if endpoints and endpoints.get("pid") == process.pid:
            _print_endpoints(endpoints, directory)
            print(_("Log file: {path}").format(path=log_path))
            return EXIT_OK
        if process.poll() is not None:
            print(_("The sandbox exited during start-up (exit code {code}); its output:").format(code=process.returncode), file=sys.stderr)
            print(log_path.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
            return EXIT_FAILURE if process.returncode != EXIT_USAGE else EXIT_USAGE
        time.sleep(0.1)
    process.terminate()
    print(_("The sandbox did not start within {seconds} seconds; see {path}").format(seconds=int(START_TIMEOUT), path=log_path), file=sys.stderr)
    return EXIT_FAILURE


# -- down, status, inspect --------------------------------------------------------------


def cmd_down(args) -> int:  # noqa: ANN001
    directory = sandbox_dir(args)
    endpoints = read_endpoints(directory)
    if endpoints is None:
        print(_("No sandbox is running from {path}.").format(path=directory), file=sys.stderr)
        return EXIT_FAILURE
    pid = int(endpoints["pid"])
    try:
        _control(endpoints, "POST", "/shutdown")
    except requests.RequestException as exc:
        log.warning("control API did not respond (%s); sending SIGTERM to pid %d", exc, pid)
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    if _alive(pid):
        print(_("The sandbox (pid {pid}) did not stop within {seconds} seconds.").format(pid=pid, seconds=int(STOP_TIMEOUT)), file=sys.stderr)
        return EXIT_FAILURE
    print(_("Sandbox stopped."))
    return EXIT_OK


def _reap(pid: int) -> None:
    # The sandbox is our child when `up --detach` ran in this process (tests).
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def cmd_status(args) -> int:  # noqa: ANN001
    directory = sandbox_dir(args)
    endpoints = read_endpoints(directory)
    if endpoints is None:
        print(_("No sandbox is running from {path}.").format(path=directory))
        return EXIT_FAILURE
    try:
        answer = _control(endpoints, "GET", "/status")
    except requests.RequestException as exc:
        print(_("The sandbox (pid {pid}) did not respond: {error}").format(pid=endpoints["pid"], error=exc), file=sys.stderr)
        return EXIT_FAILURE
    data = answer.json()
    data["control_token"] = endpoints["control_token"]
    _print_endpoints(data, directory)
    return EXIT_OK


def cmd_inspect(args) -> int:  # noqa: ANN001
    directory = sandbox_dir(args)
    endpoints = read_endpoints(directory)
    if endpoints is None:
        print(_("No sandbox is running from {path}.").format(path=directory), file=sys.stderr)
        return EXIT_FAILURE
    route = "/requests" if args.requests else "/mailboxes/" + requests.utils.quote(args.mailbox, safe="@")
    try:
        answer = _control(endpoints, "GET", route)
    except requests.RequestException as exc:
        print(_("The sandbox (pid {pid}) did not respond: {error}").format(pid=endpoints["pid"], error=exc), file=sys.stderr)
        return EXIT_FAILURE
    if answer.status_code == 404:
        print(_("No mailbox {address} in the sandbox.").format(address=args.mailbox), file=sys.stderr)
        return EXIT_FAILURE
    data = answer.json()
    if args.requests:
        wanted = args.mailbox.lower()
        data = [entry for entry in data if (entry.get("mailbox") or "").lower() == wanted]
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return EXIT_OK
