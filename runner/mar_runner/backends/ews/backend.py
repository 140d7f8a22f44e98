"""Mailbox operations through Exchange Web Services (Exchange 2013, 2016, 2019) with exchangelib."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Any, Callable, TypeVar

from exchangelib import (
    BASIC,
    IMPERSONATION,
    NTLM,
    Account,
    Build,
    Configuration,
    Credentials,
    FailFast,
    FileAttachment,
    Message,
    Version,
)
from exchangelib import errors as ews_errors

from mar_runner.backends.ews import adapter
from mar_runner.backends.ews.errors import map_error
from mar_runner.backends.tls import TrustStore
from mar_runner.engine.backend import Copy, FindResult, Target
from mar_runner.engine.errors import BackendError, PermanentError
from mar_runner.engine.limits import KeyedLimiter
from mar_runner.engine.retry import RetryPolicy

logger = logging.getLogger("mar.backends.ews")

# exchangelib logs request headers (with the Authorization header) and SOAP
# bodies at DEBUG, and both again at ERROR when a request raises something
# unexpected. Neither may reach this engine's logs.
logging.getLogger("exchangelib").setLevel(logging.WARNING)
logging.getLogger("exchangelib.util").setLevel(logging.CRITICAL)

VERSIONS = {
    "exchange2013": Build(15, 0, 847, 32),
    "exchange2016": Build(15, 1, 225, 42),
    "exchange2019": Build(15, 2, 196, 0),
}
FORWARD_BODY = "Forwarded by mailbox auto remediation: the attachment was found to be malicious."
ACCOUNT_CACHE = 256

T = TypeVar("T")


def service_endpoint(host: str) -> str:
    """Return the EWS URL of ``host`` (a host name, host:port, or a full EWS URL)."""
    host = host.strip()
    if host.lower().startswith("https://"):
        return host
    return f"https://{host}/EWS/Exchange.asmx"


def bracket_forms(message_id: str) -> list[str]:
    """Return a Message-ID with and without angle brackets (servers store either)."""
    bare = message_id.strip().lstrip("<").rstrip(">")
    return [f"<{bare}>", bare]


class EwsBackend:
    """Find, delete and forward messages in on-premises Exchange mailboxes for one service account."""

    kind = "ews"

    def __init__(self, profile: dict[str, Any], *, timeout: float, retry: RetryPolicy, per_service_account: int = 8) -> None:
        self.profile = profile
        self.profile_name = profile["name"]
        self.timeout = timeout
        self.retry = retry
        self.endpoint = service_endpoint(profile["host"])
        self.host = self.endpoint.split("://", 1)[1].split("/", 1)[0]
        self.trust = TrustStore(profile.get("ca_certificate"))
        adapter.install()
        if profile.get("ca_certificate"):
            adapter.register_ca(self.endpoint, str(self.trust.verify))
        version = profile.get("version")
        auth = (profile.get("auth") or "ntlm").lower()
        self.config = Configuration(
            service_endpoint=self.endpoint,
            credentials=Credentials(profile["username"], profile["password"]),
            auth_type=BASIC if auth == "basic" else NTLM,
            version=Version(build=VERSIONS[version]) if version in VERSIONS else None,
            retry_policy=FailFast(),
            max_connections=per_service_account,
        )
        self.limiter = KeyedLimiter(per_service_account)
        self._accounts: OrderedDict[str, Account] = OrderedDict()
        self._archives: dict[str, bool] = {}
        self._lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------

    def _account(self, mailbox: str) -> Account:
        with self._lock:
            account = self._accounts.get(mailbox)
            if account is not None:
                self._accounts.move_to_end(mailbox)
                return account
        account = Account(
            primary_smtp_address=mailbox,
            access_type=IMPERSONATION,
            autodiscover=False,
            config=self.config,
        )
        # The protocol object is shared per endpoint and credentials; the
        # instance attribute sets this profile's timeout on it.
        account.protocol.TIMEOUT = self.timeout
        with self._lock:
            self._accounts[mailbox] = account
            while len(self._accounts) > ACCOUNT_CACHE:
                self._accounts.popitem(last=False)
        return account

    def _call(self, mailbox: str, what: str, func: Callable[[Account], T]) -> T:
        """Run ``func(account)`` under the service account's limit and the retry policy."""

        def once() -> T:
            with self.limiter.hold(self.profile_name):
                try:
                    return func(self._account(mailbox))
                except BackendError:
                    raise
                except Exception as error:  # exchangelib raises many unrelated classes
                    mapped = map_error(error, self.host, mailbox)
                    if mapped.reason in ("authentication_failed", "tls_verification_failed"):
                        with self._lock:
                            self._accounts.pop(mailbox, None)
                    raise mapped from None

        def on_retry(attempt: int, error: BackendError, wait: float) -> None:
            logger.info("profile %s: %s for %s failed (%s), try %d again in %.2fs",
                        self.profile_name, what, mailbox, error.reason, attempt + 1, wait)

        return self.retry.call(once, on_retry=on_retry)

    # -- search ------------------------------------------------------------

    def find(self, mailbox: str, target: Target) -> FindResult:
        """Search the whole message folder tree by Message-ID (both bracket forms) and check the SHA-256."""
        if not target.message_id:
            return FindResult([], None)
        return self._call(mailbox, "search", lambda account: self._find(account, target))

    def _find(self, account: Account, target: Target) -> FindResult:
        seen: set[str] = set()
        copies: list[Copy] = []
        for folders, prefix in self._trees(account):
            names = {folder.id: prefix + _folder_path(folder) for folder in folders}
            for form in bracket_forms(target.message_id or ""):
                query = folders.filter(message_id=form).only("message_id", "is_draft", "parent_folder_id", "attachments")
                for item in query:
                    if not isinstance(item, Message) or item.id in seen or item.is_draft:
                        continue
                    seen.add(item.id)
                    if _carries(item, target.sha256):
                        folder_id = item.parent_folder_id.id if item.parent_folder_id else ""
                        copies.append(Copy(item.id, names.get(folder_id, folder_id), item.changekey))
        return FindResult(copies, "message_id" if copies else None)

    def _trees(self, account: Account) -> list[tuple[Any, str]]:
        """Return the folder trees to search: the mailbox's, then its online archive's when it has one."""
        trees = [(account.msg_folder_root.walk(), "")]
        has_archive = self._archives.get(account.primary_smtp_address)
        if has_archive is None:
            try:
                archive = account.archive_msg_folder_root
                has_archive = archive is not None
            except ews_errors.EWSError as error:
                logger.debug("profile %s: %s has no archive to search (%s)",
                             self.profile_name, account.primary_smtp_address, type(error).__name__)
                has_archive = False
            self._archives[account.primary_smtp_address] = has_archive
        if has_archive:
            trees.append((account.archive_msg_folder_root.walk(), "Archive/"))
        return trees

    # -- actions -----------------------------------------------------------

    def delete(self, mailbox: str, copy: Copy, mode: str) -> None:
        """HardDelete (purged) or SoftDelete (kept in Recoverable Items)."""

        def run(account: Account) -> None:
            item = self._fetch(account, copy.item_id)
            if mode == "hard":
                item.delete()
            else:
                item.soft_delete()

        self._call(mailbox, f"{mode} delete", run)

    def create_forward(self, mailbox: str, copy: Copy, to: str) -> str:
        """Save a forward of ``copy`` (with its attachment) as a draft: CreateItem with SaveOnly."""

        def run(account: Account) -> str:
            item = self._fetch(account, copy.item_id)
            forward = item.create_forward(subject=f"FW: {item.subject or ''}".strip(), body=FORWARD_BODY, to_recipients=[to])
            saved = forward.save(account.drafts)
            draft = saved[0] if isinstance(saved, list) else saved
            if isinstance(draft, Exception):
                raise draft
            if draft is None or not getattr(draft, "id", None):
                raise PermanentError("forward_failed", "CreateItem returned no draft id")
            return draft.id

        return self._call(mailbox, "create forward draft", run)

    def draft_state(self, mailbox: str, draft_id: str) -> str:
        """Look a forward draft up: "draft" when not sent, "sent", or "missing"."""

        def run(account: Account) -> str:
            try:
                item = self._fetch(account, draft_id)
            except ews_errors.ErrorItemNotFound:
                return "missing"
            return "draft" if item.is_draft else "sent"

        return self._call(mailbox, "look up forward draft", run)

    def send_draft(self, mailbox: str, draft_id: str) -> None:
        """Send a saved forward draft with SendItem, keeping a copy in Sent Items."""

        def run(account: Account) -> None:
            item = self._fetch(account, draft_id)
            item.send(save_copy=True, copy_to_folder=account.sent)

        self._call(mailbox, "send forward", run)

    def check(self, mailbox: str) -> None:
        """Open the mailbox's Inbox through impersonation."""
        self._call(mailbox, "open inbox", lambda account: account.inbox.id)

    def close(self) -> None:
        """Forget the CA registration and remove the CA file."""
        if self.profile.get("ca_certificate"):
            adapter.unregister_ca(self.endpoint)
        self.trust.close()
        with self._lock:
            self._accounts.clear()

    @staticmethod
    def _fetch(account: Account, item_id: str) -> Message:
        results = list(account.fetch(ids=[(item_id, None)]))
        item = results[0] if results else ews_errors.ErrorItemNotFound("The specified object was not found in the store.")
        if isinstance(item, Exception):
            raise item
        return item


def _carries(item: Message, sha256: str) -> bool:
    for attachment in item.attachments or []:
        if isinstance(attachment, FileAttachment) and attachment.content is not None:
            if hashlib.sha256(attachment.content).hexdigest() == sha256:
                return True
    return False


def _folder_path(folder: Any) -> str:
    return getattr(folder, "name", None) or getattr(folder, "id", "")
