"""Verdict readers: verdict files, AMP retrospective log lines and Secure Endpoint events.

``read_verdicts(paths)`` returns a ``VerdictBatch`` of normalised ``Verdict``
records and the errors found, each with its file and line.
"""

from mar_runner.verdicts.model import VERDICTS, Verdict
from mar_runner.verdicts.reader import KINDS, VerdictBatch, read_verdicts

__all__ = ["KINDS", "VERDICTS", "Verdict", "VerdictBatch", "read_verdicts"]
