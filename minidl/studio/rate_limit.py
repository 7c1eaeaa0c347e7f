"""How often one browser may submit: at most `limit` requests in any `window` seconds (a sliding
window over the times of its recent requests), so that a page or a script that floods the poll
gets 429 after a few answers instead of holding the server's workers.

Memory stays bounded by the traffic of one window: the browsers are kept in order of their last
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

    def wait(self, key: str) -> float:
        """0 when key may go now (the request is counted), else the seconds until it may (not counted)."""
        with self.lock:
            now = self.clock()
            while self.recent and now - next(iter(self.recent.values()))[-1] >= self.window:
                self.recent.popitem(last=False)
            times = self.recent.setdefault(key, deque())
            self.recent.move_to_end(key)
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.limit:
                return self.window - (now - times[0])
            times.append(now)
            return 0.0
