"""Run folders: pruned to the newest N so reports/ stops growing; the history is kept per target."""

from __future__ import annotations

from pathlib import Path

from ottimate_validation.run import Run
from ottimate_validation.run.folder import history_file, prune, run_folders


def _runs(reports: Path, count: int) -> list[Path]:
    folders = []
    for n in range(count):
        folder = reports / f"20261201-0000{n:02d}-run{n}"
        Run(id=f"run{n}", folder=folder).save()
        folders.append(folder)
    return folders


def test_only_the_newest_runs_are_kept_and_the_current_one_never_goes(tmp_path: Path) -> None:
    folders = _runs(tmp_path, 5)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "history.jsonl").write_text("{}\n", encoding="utf-8")

    removed = prune(tmp_path, 2, spare=folders[0])

    assert removed == folders[1:3]
    assert run_folders(tmp_path) == [folders[0], *folders[3:]]
    assert (tmp_path / "not-a-run").is_dir() and (tmp_path / "history.jsonl").is_file()


def test_a_folder_named_like_a_run_but_holding_none_is_left_alone(tmp_path: Path) -> None:
    stranger = tmp_path / "20261201-000000-mine"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("keep", encoding="utf-8")
    _runs(tmp_path, 3)

    prune(tmp_path, 1)

    assert (stranger / "notes.txt").is_file()


def test_rehearsals_and_real_runs_keep_separate_histories(tmp_path: Path) -> None:
    embedded = Run(id="a", folder=tmp_path)
    real = Run(id="b", folder=tmp_path, target={"kind": "sandbox", "api_url": "https://sandbox-api.ottimate.com/v1"})
    other = Run(id="c", folder=tmp_path, target={"kind": "embedded-external", "api_url": "http://127.0.0.1:8123/v1"})

    names = {history_file(embedded), history_file(real), history_file(other)}

    assert names == {
        "history-embedded.jsonl",
        "history-sandbox-sandbox-api.ottimate.com.jsonl",
        "history-embedded-external-127.0.0.1-8123.jsonl",
    }
