"""``python -m ottimate_validation.cli``: the same as ``ottimate-validate``."""

from ottimate_validation.cli.validate import main

raise SystemExit(main())
