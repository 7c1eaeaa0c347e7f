"""How often one key (a browser, a client's address) may do something: at most `limit` times in any
`window` seconds (a sliding window over the times of its recent ones), so that a page or a script
that floods the poll gets 429 after a few answers instead of holding the server's workers.

Memory stays bounded by the traffic of one window: the keys are kept in order of their last counted
request, and those idle for a whole window are dropped from the front.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimit:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.recent: OrderedDict[str, deque[float]] = OrderedDict()
        self.lock = threading.Lock()

    def wait(self, key: str, count: bool = True) -> float:
        """0 when key may go now (and then, unless count is False, this time is counted), else the
        seconds until it may (not counted)."""
        with self.lock:
            now = self.clock()
            while self.recent and now - next(iter(self.recent.values()))[-1] >= self.window:
                self.recent.popitem(last=False)
            times = self.recent.get(key, deque())
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.limit:
                return self.window - (now - times[0])
            if count:  # kept in order of their last counted time, which the loop above relies on
                times.append(now)
                self.recent[key] = times
                self.recent.move_to_end(key)
            return 0.0
