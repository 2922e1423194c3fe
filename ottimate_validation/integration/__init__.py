"""Your integration under test: the partner's own integration, in any language, judged by its traffic.

``ottimate-validate integration -- COMMAND`` runs the command three times (a clean pass, a fault pass
with a seeded fault schedule, a repeat pass on the clean pass's state), with every exchange it sends
recorded at the edge, then judges the recording and the state left behind against named rules, one
verdict per criterion, in the same single-file report. How the parts fit::

    cli.py         the subcommand: options, plan, production refusal, console; exit codes 0, 1, 2
    run.py         one run: the passes, then the judge, then the evidence
    targets.py     where a pass runs: fresh embedded sandboxes, or a proxy to the partner's sandbox
    proxy.py       Recorder (WSGI middleware: records, injects faults) and Forwarder (to a real host)
    journal.py     the recorder's writer: Exchange lines into the run's ledger folder
    faults.py      the faults as data, and the seeded schedule that places them
    command.py     the partner's command: its process group, time limit, bounded scanned output
    credentials.py the run's credentials by kind, and the tokens issued
    state.py       the target's entities before and after a pass, normalised, compared
    model.py       PassEvidence, Rule, Judgement
    rules/         the rules, one module per criterion
    judge.py       rules over passes -> Findings (in the ledger); verdicts per criterion
    evidence.py    Allure results: one per rule and pass, under "Your integration"
    summary.py     the summary: markdown, HTML, JSON, console
    plan.py        the plan file plus its [integration] table
    docs.py        the rules table of docs/integration.md, generated from the rules

The sandbox never imports this package; this package imports the sandbox's public entry, its app and
server, the run's ledger, the report's helpers, and the plan and target checks of a validation run.
"""
