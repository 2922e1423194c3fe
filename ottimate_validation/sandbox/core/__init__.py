"""Machinery every resource shares: clock, errors, ids, pagination, dates, idempotency, rate limits."""
