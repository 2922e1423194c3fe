"""Evidence for a run: the single-file Allure report, the readiness summary and its renderings, and
the pure pieces they are made of. Nothing here reads a run folder's ledger (``run.judge`` does).

    operations    criteria, API areas, documented operations, documentation pages
    categories    why a test did not pass (Sandbox unreachable, Rate limited, Contract violation, …)
    failures      the typed failures the suites raise (ContractViolation names its operation)
    environment   what the run was: target, versions, CI build (environment.xml, executor.json)
    verdicts      one verdict per criterion, and how the console says them
    summary       the readiness summary (summary.md, summary.json, top of the report, console)
    redact        what of an exchange may be written anywhere; secrets scrubbed
    curl          a reproducer of one request, without credentials
    transcript    one exchange as the report shows it
    allure        building the single-file report (offline, no analytics, summary on top)
"""
