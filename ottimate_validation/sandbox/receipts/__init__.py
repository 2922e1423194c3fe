"""Receipts (§15): delivery confirmations against a purchase order (three-way matching)."""
