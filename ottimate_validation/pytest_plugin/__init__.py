"""The pytest plugin of ottimate-validation, installed through the ``pytest11`` entry point.

Generic machinery, one concern a module; state lives in ``config.stash`` (``state.RunState``), built by
the one ``pytest_configure`` (``session``), and the tests are chosen by the one collection hook
(``selection``). The suites' domain fixtures (vendors, invoices, uploads…) stay in ``fixtures/``.

    options     command-line options (one group), Hypothesis profiles
    state       RunState: the run, its ledger, plan, target, budget, the current test's traffic
    session     pytest_configure: resolve the run, plan, target (refused in one sentence), ledger, budget
    selection   the collection hook: labels, sandbox_only, plan, read-only, waiting tests first
    target      ``target``, ``sandbox`` (control plane) and ``ottimate_sandbox`` fixtures
    clients     ``api``, ``scoped_api``, ``fresh_api``, hand-built clients, ``request_token``
    evidence    Allure labels, exchanges attached, secrets scrubbed, one Check record per test
    readings    what a check rests on: CONTRACT sections (``contract`` marker), decisions (``our_reading``)
    budget      tests skipped once the request budget is spent
    polling     ``waiter``: asynchronous work awaited with a deadline
    cleanup     what the run left on a real target, at the end

In a partner's own test suite (no ``ottimate_suites`` ini flag, no ``--run-dir``/``--target-url``) only
the fixtures are active: ``ottimate_sandbox`` gives a fresh embedded sandbox with its credentials.
"""

# Modules that others import come first, so pytest imports (and assertion-rewrites) each one itself.
pytest_plugins = [
    "ottimate_validation.pytest_plugin.options",
    "ottimate_validation.pytest_plugin.target",
    "ottimate_validation.pytest_plugin.budget",
    "ottimate_validation.pytest_plugin.readings",
    "ottimate_validation.pytest_plugin.evidence",
    "ottimate_validation.pytest_plugin.polling",
    "ottimate_validation.pytest_plugin.clients",
    "ottimate_validation.pytest_plugin.cleanup",
    "ottimate_validation.pytest_plugin.session",
    "ottimate_validation.pytest_plugin.selection",
]
