"""Temporary in-memory backend used until the sandbox store is available."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timezone

from .backend import AttachmentInfo, FolderInfo, MailboxError, MessageInfo, ServiceAccount

_STANDARD = [
    ("root", "", None, "root"),
    ("msgfolderroot", "Top of Information Store", "root", "msgfolderroot"),
    ("inbox", "Inbox", "msgfolderroot", "inbox"),
    ("deleteditems", "Deleted Items", "msgfolderroot", "deleteditems"),
    ("sentitems", "Sent Items", "msgfolderroot", "sentitems"),
    ("drafts", "Drafts", "msgfolderroot", "drafts"),
    ("recoverableitemsroot", "Recoverable Items", "root", "recoverableitemsroot"),
    ("recoverableitemsdeletions", "Deletions", "recoverableitemsroot", "recoverableitemsdeletions"),
    ("recoverableitemspurges", "Purges", "recoverableitemsroot", "recoverableitemspurges"),
    ("recoverableitemsversions", "Versions", "recoverableitemsroot", "recoverableitemsversions"),
]


class StandinBackend:
    def __init__(self, accounts, mailboxes, cloud=(), version="exchange2016", methods=("basic", "ntlm")):
        self.accounts = list(accounts)
        self.version = version
        self.methods = tuple(methods)
        self.cloud = {a.lower() for a in cloud}
        self.folder_map: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
        self.store: dict[str, dict[str, MessageInfo]] = {}
        self.counter = itertools.count(1)
        for address, subfolders in mailboxes.items():
            rows = list(_STANDARD)
            for key, name, parent in subfolders:
                rows.append((key, name, parent, None))
            self.folder_map[address.lower()] = rows
            self.store[address.lower()] = {}

    def add(self, address, folder, message_id, sender, subject, attachments=(), received=None):
        key = f"m{next(self.counter)}"
        atts = tuple(AttachmentInfo(f"{key}/{i}", name, "application/octet-stream", data) for i, (name, data) in enumerate(attachments))
        self.store[address.lower()][key] = MessageInfo(
            key, folder, message_id, subject, sender, (address,), received or datetime.now(timezone.utc), False, atts
        )
        return key

    def server_version(self):
        return self.version

    def auth_methods(self):
        return self.methods

    def service_accounts(self):
        return self.accounts

    def service_account(self, login):
        return next((a for a in self.accounts if a.matches(login)), None)

    def mailbox_location(self, address):
        address = address.lower()
        if address in self.store:
            return "here"
        return "cloud" if address in self.cloud else "none"

    def folders(self, address):
        rows = self.folder_map.get(address.lower())
        if rows is None:
            raise MailboxError("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")
        messages = self.store[address.lower()].values()
        return [
            FolderInfo(key, name, parent, dist, sum(1 for m in messages if m.folder_key == key),
                       sum(1 for r in rows if r[2] == key))
            for key, name, parent, dist in rows
        ]

    def messages(self, address, folder_key):
        return [m for m in self.store[address.lower()].values() if m.folder_key == folder_key]

    def message(self, address, message_key):
        return self.store.get(address.lower(), {}).get(message_key)

    def delete(self, address, message_key, mode):
        box = self.store[address.lower()]
        if mode == "hard":
            box[message_key] = replace(box[message_key], folder_key="recoverableitemspurges")
        elif mode == "soft":
            box[message_key] = replace(box[message_key], folder_key="recoverableitemsdeletions")
        else:
            box[message_key] = replace(box[message_key], folder_key="deleteditems")

    def forward(self, address, message_key, to_recipients, subject, comment, save_only):
        original = self.store[address.lower()][message_key]
        key = f"m{next(self.counter)}"
        atts = tuple(replace(a, attachment_id=f"{key}/{i}") for i, a in enumerate(original.attachments))
        draft = replace(original, message_key=key, folder_key="drafts", subject=subject or f"FW: {original.subject}",
                        sender=address, to_recipients=tuple(to_recipients), is_draft=True, attachments=atts)
        self.store[address.lower()][key] = draft
        if save_only:
            return key
        self.send_draft(address, key, True)
        return None

    def send_draft(self, address, draft_key, save_copy):
        box = self.store[address.lower()]
        draft = box.pop(draft_key)
        if save_copy:
            box[draft_key] = replace(draft, folder_key="sentitems", is_draft=False)
        for target in draft.to_recipients:
            if target.lower() in self.store:
                key = f"m{next(self.counter)}"
                atts = tuple(replace(a, attachment_id=f"{key}/{i}") for i, a in enumerate(draft.attachments))
                self.store[target.lower()][key] = replace(draft, message_key=key, folder_key="inbox", is_draft=False, attachments=atts)
