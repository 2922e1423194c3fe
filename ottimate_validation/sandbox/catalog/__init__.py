"""Catalog (§11): entries, prices, allowances, price variances and variance (cost) batches."""
