"""Writing results so that an output folder holds one run's complete results, or the previous ones.

A run writes the whole folder's content into a hidden staging folder beside it
(``results/.current-partial-XXXX`` for ``results/current``) and, once every file
is complete, swaps it in for the old folder. So a folder never mixes files of
two runs, and an interrupted or failed run leaves the previous results as they
were. Nothing is written outside the output folder and its hidden siblings:

- ``.NAME-partial-*``: the staging folder of a run under way;
- ``.NAME-previous-*``: the old folder for the instant of the swap;
- ``.NAME.lock``: held while a run writes to ``NAME``, so a second run into the
  same folder is refused instead of racing it (released when the process ends,
  however it ends);
- ``.NAME-checkpoint``: finished replications (see ``experiments.checkpoint``).

Staging folders left by runs that were killed are removed by the next run into
the same folder. Before any simulation starts, the writer checks that it can
create and write the staging folder and refuses, in one line, if it cannot.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..experiments.stop_signals import active_stop_signals, stop_signals_held
from ..inputs.config import ConfigError

if TYPE_CHECKING:
    import pandas as pd

RESULTS_MARKER = "manifest.json"
"""Every results folder holds this file, naming this package's version; a folder without it is not replaced."""
MARKER_MAX_BYTES = 50_000_000
"""A larger ``manifest.json`` is not one this tool wrote (a sweep's is well under 1 MB)."""
TOOL = "sim-pathway"
"""The package name every manifest carries under ``versions``: the tool's own marker."""


def carries_marker(folder: Path) -> bool:
    """Whether ``folder`` holds results this tool wrote: a ``manifest.json`` naming its version."""
    manifest = Path(folder) / RESULTS_MARKER
    try:
        if not manifest.is_file() or manifest.stat().st_size > MARKER_MAX_BYTES:
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and isinstance(data.get("versions"), dict) and TOOL in data["versions"]


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


NAME_MAX = 255
"""Longest file or folder name most file systems take, in bytes (a staging sibling adds about 20)."""
PATH_MAX = 4096
"""Longest path Linux takes, in bytes."""


def check_output_folder(out_dir: Path) -> Path:
    """The output folder, refused in one line if results cannot or must not be written there.

    Refused: a path too long for the file system or looping through links, a file
    (or a file among its parents) in the way, a folder that holds other files but no
    results of this tool, the current folder or one of its parents (publishing
    replaces the folder whole), and a file where the run keeps its finished
    replications (``.NAME-checkpoint``).
    """
    out_dir = Path(out_dir)
    label = f"--out {_short(out_dir)}"
    try:
        return _check_output_folder(out_dir, label)
    except RuntimeError:  # Path.resolve on a loop of symbolic links
        raise ConfigError(f"{label}: its path loops through symbolic links") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot be used ({_reason(exc)})") from None


def _short(path: Path, limit: int = 120) -> str:
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]} ({len(text):,} characters)"


def _check_output_folder(out_dir: Path, label: str) -> Path:
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in out_dir.parts), default=0)
    if longest + 40 > NAME_MAX:  # room for the hidden staging and checkpoint siblings' names
        raise ConfigError(f"{label}: a folder name of {longest} bytes is too long; at most {NAME_MAX - 40}")
    if len(str(out_dir.absolute()).encode("utf-8", "surrogateescape")) + 40 > PATH_MAX:
        raise ConfigError(f"{label}: the path is too long; at most {PATH_MAX - 40:,} bytes")
    for parent in [out_dir, *out_dir.parents]:
        if parent.is_symlink() and not parent.exists():
            target = "loops through symbolic links" if _loops(parent) else "is a link to nowhere"
            raise ConfigError(f"{label}: {parent} {target}")
        if parent.exists() and not parent.is_dir():
            what = "exists and is not a folder" if parent == out_dir else f"{parent} is a file, not a folder"
            raise ConfigError(f"{label}: {what}")
    resolved = out_dir.resolve()
    if resolved == Path.cwd().resolve() or resolved in Path.cwd().resolve().parents or resolved.parent == resolved:
        raise ConfigError(f"{label}: is the current folder or one of its parents; choose a folder for results")
    if resolved.is_dir():
        try:
            entries = [p.name for p in resolved.iterdir()]
        except OSError as exc:
            raise ConfigError(f"{label}: cannot be read ({_reason(exc)})") from None
        if entries and not carries_marker(resolved):
            raise ConfigError(
                f"{label}: holds other files but no results of this tool (a {RESULTS_MARKER} "
                f"naming {TOOL}), and publishing replaces the folder whole; choose an empty "
                "or new folder"
            )
    checkpoints = resolved.parent / f".{resolved.name}-checkpoint"
    if checkpoints.exists() and not checkpoints.is_dir():
        raise ConfigError(
            f"{label}: {checkpoints} is a file where the run keeps its finished replications; "
            "move it away or choose another --out"
        )
    if checkpoints.is_dir() and not os.access(checkpoints, os.W_OK | os.X_OK):
        raise ConfigError(f"{label}: {checkpoints} (the run's finished replications) cannot be written")
    return out_dir


def _loops(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


class FolderLock:
    """An exclusive lock on one output folder, held through a hidden sibling ``.NAME.lock`` file."""

    def __init__(self, out_dir: Path):
        out_dir = Path(out_dir).resolve()
        self.path = out_dir.parent / f".{out_dir.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise ConfigError(
                    f"--out {self.path.parent / self.path.name[1:-5]}: another run (pid {holder}) "
                    "is writing to this folder; wait for it to finish or choose another --out"
                ) from None
            except BaseException:
                os.close(fd)
                raise
            try:
                current = os.stat(self.path).st_ino
            except FileNotFoundError:
                current = None
            if current == os.fstat(fd).st_ino:
                break
            os.close(fd)  # the holder removed this lock file as we opened it: take a fresh one
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file, then release the lock (a run that waits takes a fresh file)."""
        if self._fd is not None:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None


class ResultWriter:
    """Stage a whole results folder, then swap it in with ``commit()``.

    Use as a context manager: entering locks the folder, removes staging folders
    of dead runs and checks that results can be written (one-line ``ConfigError``
    if not); leaving it without ``commit()`` (an error, Ctrl-C) deletes what was
    staged and leaves the output folder untouched.
    """

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)
        self._target = self.out_dir.resolve()
        self._lock = FolderLock(self._target)
        self._stage: Path | None = None

    @property
    def stage(self) -> Path:
        """The staging folder (files written here are published by ``commit()``)."""
        assert self._stage is not None, "use ResultWriter as a context manager"
        return self._stage

    def _siblings(self, kind: str) -> list[Path]:
        return sorted(self._target.parent.glob(f".{self._target.name}-{kind}-*"))

    def __enter__(self) -> ResultWriter:
        check_output_folder(self.out_dir)
        parent = self._target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except OSError as exc:
            raise ConfigError(
                f"--out {self.out_dir}: cannot create or write its folder {parent} ({_reason(exc)})"
            ) from None
        try:
            self._recover()
            self._stage = Path(tempfile.mkdtemp(prefix=f".{self._target.name}-partial-", dir=parent))
            (self._stage / ".write-test").write_bytes(b"")
            (self._stage / ".write-test").unlink()
        except OSError as exc:
            self.__exit__(None, None, None)
            raise ConfigError(f"--out {self.out_dir}: cannot write in {parent} ({_reason(exc)})") from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _recover(self) -> None:
        """Tidy what dead runs left: their staging folders, and an old folder caught mid-swap."""
        for stale in self._siblings("partial"):
            shutil.rmtree(stale, ignore_errors=True)
        previous = self._siblings("previous")
        if previous and not self._target.exists():
            os.replace(previous[-1], self._target)  # killed between the two renames of a swap
            previous = previous[:-1]
        for old in previous:
            shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        try:
            if self._stage is not None and self._stage.exists():
                shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
        finally:
            self._lock.release()

    def _path(self, name: str) -> Path:
        return self.stage / name

    @contextmanager
    def _writing(self, name: str):
        """A full disk or a folder made read-only while results are written: one line, nothing published."""
        try:
            yield
        except OSError as exc:
            raise ConfigError(
                f"--out {_short(self.out_dir)}: cannot write {name} ({_reason(exc)}); nothing was "
                "published and the previous results, if any, are kept"
            ) from None

    def folder(self, name: str) -> Path:
        """A subfolder of the results (e.g. ``events/``), created in the staging folder."""
        path = self._path(name)
        with self._writing(name):
            path.mkdir(exist_ok=True)
        return path

    def csv(self, name: str, frame: pd.DataFrame) -> None:
        with self._writing(name):
            frame.to_csv(self._path(name), index=False, float_format="%.10g")

    def json(self, name: str, data: dict) -> None:
        with self._writing(name):
            self._path(name).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")

    def parquet(self, name: str, frame: pd.DataFrame) -> None:
        with self._writing(name):
            frame.to_parquet(self._path(name), index=False)

    def bytes(self, name: str, data: bytes) -> None:
        """A file whose content is already made (a workbook, a report)."""
        with self._writing(name):
            self._path(name).write_bytes(data)

    def figure(self, name: str, fig) -> None:
        """A matplotlib ``Figure`` as PNG."""
        with self._writing(name):
            fig.savefig(self._path(name), dpi=120)

    def commit(self) -> list[Path]:
        """Swap the staged folder in for the output folder; returns the published files' paths.

        The swap is not interrupted by a stop signal (Ctrl-C during it stops the command after it),
        and once it is done the results are published: a stop signal then changes nothing.
        """
        stage = self.stage
        names = sorted(p.relative_to(stage) for p in stage.rglob("*") if p.is_file())
        with stop_signals_held(), self._writing("the results folder"):
            os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes it private; results are ordinary files
            previous = None
            if self._target.exists():
                previous = self._target.parent / f".{self._target.name}-previous-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                os.replace(self._target, previous)
            try:
                os.replace(stage, self._target)
            except OSError:
                if previous is not None:
                    os.replace(previous, self._target)  # put the previous results back
                raise
            self._stage = None
            stops = active_stop_signals()
            if stops is not None:
                stops.finishing()
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        return [self.out_dir / name for name in names]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
