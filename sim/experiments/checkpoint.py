"""Finished replications kept on disk as they complete, so an interrupted run loses nothing.

A command keeps its finished replications in a hidden folder beside its output
folder (``results/.current-checkpoint/`` for ``results/current``), one subfolder
per scenario. Run the same command again and it takes them from there instead
of running them again; once its results are written, it removes the subfolders
of its own scenarios only, so another scenario's kept replications in the same
folder wait for their own command to be run again.

A replication is reused only for exactly the same scenario: the key of a
:class:`Checkpoint` (:func:`sim.experiments.replication.replication_key`) covers every
parameter except the number of replications (replication *r* does not depend on
how many others run), the source code a replication's numbers depend on (named
in ``RESULT_SOURCES``) and the versions of the libraries that draw and schedule. Results
are stored losslessly (JSON floats round-trip exactly; event logs as parquet),
so a resumed run gives the numbers of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from ..inputs.config import Config
from .replication import ReplicationResult, replication_key

PACKAGE_DIR = Path(__file__).resolve().parent.parent
RESULT_SOURCES = ("inputs", "model", "analysis", "experiments/runner.py", "experiments/replication.py")
"""What a replication's numbers depend on, within the package: the config schema and the files it
reads (``inputs``), the model (``model``), the KPIs and the checks on them (``analysis``), and the
function that runs, checks and measures one replication (``experiments/runner.py``) with the result
it gives and the key it is kept under (``experiments/replication.py``). Every module
in those stages, a new one included, is part of the fingerprint; editing any other module (how runs
are arranged, compared, written or shown) keeps kept replications."""


def _result_modules() -> list[Path]:
    """The package's source files that a replication's numbers depend on, in a fixed order."""
    keep = []
    for source in RESULT_SOURCES:
        path = PACKAGE_DIR / source
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else []
        keep += [f for f in files if "__pycache__" not in f.relative_to(PACKAGE_DIR).parts]
    return keep


def code_fingerprint() -> str:
    """A hash of the source files a replication's results depend on, and the versions of
    Python and the libraries those results pass through."""
    digest = hashlib.sha256()
    for path in _result_modules():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    from ..inputs.calendar import BANK_HOLIDAYS_FILE  # the dates a run with bank holidays follows
    from ..inputs.costing import COSTING_FILE  # the shipped costing table prices the cost KPIs

    digest.update(COSTING_FILE.read_bytes())
    digest.update(BANK_HOLIDAYS_FILE.read_bytes())
    digest.update(platform.python_version().encode())
    for pkg in ("numpy", "simpy", "pandas", "pyarrow"):
        try:
            digest.update(f"{pkg}=={metadata.version(pkg)}".encode())
        except metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
            digest.update(pkg.encode())
    return digest.hexdigest()


def scenario_key(cfg: Config, fingerprint: str) -> str:
    """Key of the results a replication of ``cfg`` gives (name and replication count left out)."""
    return replication_key(cfg, fingerprint)


def _write_atomic(path: Path, write) -> None:
    """Write a file through a temporary sibling and a rename, so it is whole or absent."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Checkpoint:
    """The finished replications of one scenario, one small file each.

    Parameters
    ----------
    folder : Path
        The command's checkpoint folder (see :class:`CheckpointFolder`).
    cfg : Config
        The scenario.
    events : bool
        Whether event logs are wanted: then a replication counts as finished
        only if its event log was kept too.
    fingerprint : str
        From :func:`code_fingerprint`.
    """

    def __init__(
        self, folder: Path, cfg: Config, events: bool, fingerprint: str, kept_before: frozenset[Path] | None = None
    ):
        safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", cfg.name).lstrip(".")[:40]
        self.path = Path(folder) / f"{safe_name}-{scenario_key(cfg, fingerprint)[:16]}"
        self.events = events
        self.resumed = 0
        self._kept_before = kept_before

    def _kpi_file(self, replication: int) -> Path:
        return self.path / f"rep-{replication:05d}.json"

    def _events_file(self, replication: int) -> Path:
        return self.path / f"rep-{replication:05d}-events.parquet"

    def load(self, replications: list[int]) -> dict[int, ReplicationResult]:
        """The replications among ``replications`` already finished."""
        found = {}
        for rep in replications:
            kpi_file, events_file = self._kpi_file(rep), self._events_file(rep)
            if not kpi_file.exists() or (self.events and not events_file.exists()):
                continue
            try:
                kpis = json.loads(kpi_file.read_text(encoding="utf-8"))["kpis"]
                if self.events:
                    import pandas as pd  # here, so a run starts fast
                events = pd.read_parquet(events_file) if self.events else None
            except (OSError, ValueError, KeyError):
                continue  # unreadable: run it again
            found[rep] = ReplicationResult(rep, kpis, events)
        # reused from an earlier run (not from an identical scenario earlier in this one)
        self.resumed += sum(1 for rep in found if self._kept_before is None or self._kpi_file(rep) in self._kept_before)
        return found

    def save(self, result: ReplicationResult) -> None:
        """Keep one finished replication (its event log first, then its KPIs)."""
        self.path.mkdir(parents=True, exist_ok=True)
        rep = result.replication
        if self.events and result.events is not None:
            _write_atomic(self._events_file(rep), lambda p: result.events.to_parquet(p, index=False))
        text = json.dumps({"replication": rep, "kpis": result.kpis})
        _write_atomic(self._kpi_file(rep), lambda p: p.write_text(text, encoding="utf-8"))


class CheckpointFolder:
    """Where one command keeps finished replications until its results are written.

    Parameters
    ----------
    out_dir : Path
        The command's output folder; the checkpoint folder sits beside it.
    resume : bool
        Reuse replications kept by an earlier, interrupted run of the same
        command. With ``False`` those kept for this command's scenarios are
        deleted first (other scenarios' are left alone).
    """

    def __init__(self, out_dir: Path, resume: bool = True):
        out_dir = Path(out_dir).resolve()
        self.path = out_dir.parent / f".{out_dir.name}-checkpoint"
        self._fingerprint = code_fingerprint()
        self._stores: list[Checkpoint] = []
        self._resume = resume
        self._kept_before = frozenset(self._kpi_files()) if resume else frozenset()

    def for_scenario(self, cfg: Config, events: bool = False) -> Checkpoint:
        """The store for one scenario's replications."""
        store = Checkpoint(self.path, cfg, events, self._fingerprint, self._kept_before)
        if not self._resume and all(store.path != other.path for other in self._stores):
            shutil.rmtree(store.path, ignore_errors=True)
        self._stores.append(store)
        return store

    def resumed(self) -> int:
        """How many replications this command took from the folder instead of running them."""
        return sum(store.resumed for store in self._stores)

    def kept(self) -> int:
        """How many finished replications are kept, over all scenarios."""
        return len(self._kpi_files())

    def _kpi_files(self) -> list[Path]:
        return list(self.path.glob("*/rep-*[0-9].json")) if self.path.is_dir() else []

    def remove(self) -> None:
        """Delete this command's scenarios' kept replications (after the results are written),
        and the folder itself once no scenario keeps any."""
        for store in self._stores:
            shutil.rmtree(store.path, ignore_errors=True)
        try:
            self.path.rmdir()  # only if empty: other scenarios' replications stay
        except OSError:
            pass
