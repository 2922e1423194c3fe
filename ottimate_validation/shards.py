"""Which shard of a sharded run a run folder holds: ``shard.json``, written by ``ottimate-validate --shard``.

``ottimate-validate merge`` reads it to tell a complete set of shards from an incomplete one, and to
refuse shards cut from different selections (other suites or pytest arguments split differently).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SHARD_FILE = "shard.json"


class ShardInfoError(ValueError):
    """``shard.json`` is present but unreadable; the message is one sentence."""


@dataclass(frozen=True)
class ShardInfo:
    index: int  # 1-based
    count: int
    run_id: str
    selection: tuple[str, ...] = ()  # suites and pytest arguments the run was asked for

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"


def write_shard_info(run_dir: Path, info: ShardInfo) -> Path:
    path = run_dir / SHARD_FILE
    data = {"shard": info.index, "of": info.count, "run_id": info.run_id, "selection": list(info.selection)}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def read_shard_info(run_dir: Path) -> ShardInfo | None:
    """The shard a run folder holds; None for an unsharded run; ShardInfoError when the file is broken."""
    path = run_dir / SHARD_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        index, count, run_id, selection = data["shard"], data["of"], data["run_id"], data.get("selection", [])
        valid = (
            isinstance(index, int)
            and isinstance(count, int)
            and 1 <= index <= count
            and isinstance(run_id, str)
            and isinstance(selection, list)
        )
    except (OSError, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise ShardInfoError(f"{path} is not a shard description written by ottimate-validate --shard.")
    return ShardInfo(index, count, run_id, tuple(str(item) for item in selection))
