"""Writing results so that an interrupted or failed run leaves nothing half-written.

Files are written into a hidden staging folder beside the output folder and
moved into place only once every file is complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd


class ResultWriter:
    """Stage result files, then publish them all at once with ``commit()``.

    Use as a context manager: leaving the block without ``commit()`` (an error,
    Ctrl-C) deletes the staged files and leaves the output folder untouched.
    """

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        self._stage: Path | None = None
        self._files: list[str] = []

    def __enter__(self) -> "ResultWriter":
        out_dir = self.out_dir.resolve()
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        self._stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-partial-", dir=out_dir.parent))
        return self

    def __exit__(self, *exc) -> None:
        if self._stage is not None and self._stage.exists():
            shutil.rmtree(self._stage, ignore_errors=True)
        self._stage = None

    def _path(self, name: str) -> Path:
        assert self._stage is not None, "use ResultWriter as a context manager"
        self._files.append(name)
        return self._stage / name

    def csv(self, name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(self._path(name), index=False, float_format="%.10g")

    def json(self, name: str, data: dict) -> None:
        self._path(name).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")

    def parquet(self, name: str, frame: pd.DataFrame) -> None:
        frame.to_parquet(self._path(name), index=False)

    def figure(self, name: str, fig) -> None:
        """A matplotlib ``Figure`` as PNG."""
        fig.savefig(self._path(name), dpi=120)

    def commit(self) -> list[Path]:
        """Move every staged file into the output folder; returns their final paths."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        published = []
        for name in self._files:
            target = self.out_dir / name
            os.replace(self._stage / name, target)
            published.append(target)
        return published
