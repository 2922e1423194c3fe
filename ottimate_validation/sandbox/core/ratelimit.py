"""Rate limits per API key (§4): a token bucket and a daily quota that resets at midnight UTC.

Written here rather than taken from a library because both must run on the sandbox's controllable
clock (a library bucket reads the real clock) and answer the exact `Retry-After` to send.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import timedelta

from ..contract import ErrorCode
from .clock import Clock
from .errors import TooManyRequests


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, clock: Clock, rate_per_second: float, burst: int, daily_quota: int) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._daily: dict[tuple[str, str], int] = {}
        # Counted across days: tests move the sandbox clock past midnight, which restarts the quota.
        self._total: dict[str, int] = {}
        self.configure(rate_per_second, burst, daily_quota)

    def configure(self, rate_per_second: float, burst: int, daily_quota: int) -> None:
        if rate_per_second <= 0 or burst < 1 or daily_quota < 1:
            raise ValueError("rate_per_second > 0, burst >= 1 and daily_quota >= 1 are required")
        with self._lock:
            self.rate_per_second = rate_per_second
            self.burst = burst
            self.daily_quota = daily_quota
            self._buckets.clear()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._daily.clear()
            self._total.clear()

    def used_in_total(self, api_key: str) -> int:
        """Requests counted against ``api_key`` since the sandbox started (or was reset), whatever the clock."""
        return self._total.get(api_key, 0)

    def used_today(self, api_key: str) -> int:
        return self._daily.get((api_key, self._clock.now().date().isoformat()), 0)

    def take(self, api_key: str) -> None:
        now_dt = self._clock.now()
        now = now_dt.timestamp()
        day = now_dt.date().isoformat()
        with self._lock:
            used = self._daily.get((api_key, day), 0)
            if used >= self.daily_quota:
                midnight = (now_dt + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
                wait = max(1, math.ceil((midnight - now_dt).total_seconds()))
                raise TooManyRequests(
                    f"daily quota of {self.daily_quota} requests for this API key is used up; it resets at "
                    "midnight UTC",
                    code=ErrorCode.DAILY_QUOTA_EXCEEDED,
                    headers={"Retry-After": str(wait)},
                )
            bucket = self._buckets.get(api_key)
            if bucket is None:
                bucket = self._buckets[api_key] = _Bucket(tokens=float(self.burst), updated=now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_second)
            bucket.updated = now
            if bucket.tokens < 1.0:
                wait = max(1, math.ceil((1.0 - bucket.tokens) / self.rate_per_second))
                raise TooManyRequests(
                    f"rate limit of {self.rate_per_second:g} requests/second (burst {self.burst}) exceeded",
                    headers={"Retry-After": str(wait)},
                )
            bucket.tokens -= 1.0
            self._daily[(api_key, day)] = used + 1
            self._total[api_key] = self._total.get(api_key, 0) + 1
