"""Mailbox backends: ``graph`` (Exchange Online through Microsoft Graph) and ``ews`` (Exchange on-premises)."""
