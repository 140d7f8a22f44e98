"""Tracking index: which message, with which attachment SHA-256, reached which recipient.

``TrackingIndex(conn)`` reads the index; ``import_paths(conn, paths, fmt)``
fills it from AsyncOS text logs, consolidated event (CEF) logs and native
JSON Lines records.
"""

from mar_runner.tracking.importer import FORMATS, ImportSummary, import_paths
from mar_runner.tracking.index import TrackingIndex
from mar_runner.tracking.model import Attachment, Delivery, Recipient
from mar_runner.tracking.problems import InputProblem

__all__ = [
    "FORMATS",
    "Attachment",
    "Delivery",
    "ImportSummary",
    "InputProblem",
    "Recipient",
    "TrackingIndex",
    "import_paths",
]
