"""Run one replay in a child process so a test can kill it at any moment.

Usage: python replay_driver.py STATE_DIR VERDICTS [TRACKING]
Prints "ready" once the engine is imported, then "done" with the counters.
"""

import sys

from mar_runner.engine import replay

print("ready", flush=True)
tracking = sys.argv[3:] if len(sys.argv) > 3 else []
result = replay(sys.argv[1], [sys.argv[2]], tracking_paths=tracking, timeout=20)
print("done", result.counters, flush=True)
