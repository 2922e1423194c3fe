"""``Run.whole``: which runs stand for the partner's readiness (and set their exit code by verdict)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.run import SUITE_NAMES, Run

EVERY = SUITE_NAMES


@pytest.mark.parametrize(
    ("selection", "shard", "whole"),
    [
        (EVERY, None, True),
        ((*EVERY, "--known-deviations", "/tmp/kd/known-deviations.toml", "--sandbox-reading", "drf"), None, True),
        ((*EVERY, "--hypothesis-seed=0", "--record-shapes"), None, True),
        (EVERY, (1, 3), False),
        (("auth", "core"), None, False),
        ((*EVERY, "-k", "vendor"), None, False),
        ((*EVERY, "-kvendor"), None, False),
        ((*EVERY, "-m", "not slow"), None, False),
        ((*EVERY, "--deselect=suites/auth/test_x.py::test_y"), None, False),
        ((*EVERY, "suites/auth/test_token_endpoint.py"), None, False),
        ((*EVERY, "-x"), None, False),
    ],
)
def test_a_run_is_whole_only_when_every_suite_and_test_was_asked_for(
    selection: tuple[str, ...], shard: tuple[int, int] | None, whole: bool
) -> None:
    assert Run("r1", Path("/tmp/r1"), selection=selection, shard=shard).whole is whole


def test_an_integration_run_is_never_a_whole_validation() -> None:
    assert not Run("r1", Path("/tmp/r1"), kind="integration", selection=EVERY).whole
