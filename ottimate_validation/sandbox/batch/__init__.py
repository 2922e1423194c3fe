"""Batches (§16): the async engine behind every 202 bulk endpoint, and the `/batch` endpoints."""
