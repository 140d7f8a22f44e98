"""The remediation engine: pipeline, ledger, outcomes, retries, concurrency and test connection.

``replay()`` runs verdicts through the pipeline; ``OutcomeStore`` reads the
stored outcomes back; ``connection.test_connection()`` checks one profile.
"""

from mar_runner.engine.errors import BackendError, ConfigurationMissing, EngineError
from mar_runner.engine.outcome import Attempt, Outcome
from mar_runner.engine.run import ReplayResult, replay
from mar_runner.engine.store import Ledger, OutcomeStore

__all__ = [
    "Attempt",
    "BackendError",
    "ConfigurationMissing",
    "EngineError",
    "Ledger",
    "Outcome",
    "OutcomeStore",
    "ReplayResult",
    "replay",
]
