"""A validation run from start to finish: its identity and folder, its ledger, its end.

Work in progress: ``ledger`` is the run's one structured record (see its docstring).
"""
