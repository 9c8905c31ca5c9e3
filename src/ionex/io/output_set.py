"""The files a command writes into its output folder, as one set recorded in a manifest.

Every command that takes ``-o DIR`` writes through an OutputSet:

    outputs = OutputSet(out, "modes", inputs=[profile], force=False)
    outputs.check(["modes.csv"])          # before any work: refuse to overwrite an input or a user's file
    with outputs:                         # atomic_path() targets in DIR are staged, not renamed
        write_modes_csv(found, out / "modes.csv")
    # on leaving: each file renamed into place, then the manifest written last

``DIR/.ionex-manifest.json`` holds one set per command (run, modes, invert, fit, sweep,
arrhenius, matano, monitor): the file names with their sizes and sha256 checksums, the
ionex version, the command line and the time. A file the manifest lists with its checksum
is ionex's and may be replaced; any other file of the same name is the user's and is
replaced only with ``force``. An input of the command is never replaced.

Commit order, so that a kill at any moment is either harmless or detected by
:func:`check_output_set`: (1) every file is written to ``.NAME.<8 random characters>.part``; (2) the
manifest gains the new checksums as ``pending``; (3) each file is renamed into place;
(4) the files of the command's previous set that the new one lacks are removed; (5) the
manifest is written with the new set. Between (3) and (5) the files on disk differ from
the recorded set and match the pending checksums: a reader names them as written by an
interrupted run, and the next run of the command recognises them as its own. The folder
is locked (flock) while a set is written, so two ionex commands sharing it take turns.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .._version import __version__
from ..errors import IonexError

__all__ = [
    "MANIFEST",
    "COMMAND_FILES",
    "OutputSet",
    "Mismatch",
    "check_output_set",
    "read_warning",
    "stale_temporaries",
    "writing",
    "file_mode",
    "MONITOR_STATE",
]

MANIFEST = ".ionex-manifest.json"
FORMAT = 1

# the files each command may write; temporaries of these names are ionex's to remove
COMMAND_FILES = {
    "run": (
        "profiles.csv",
        "current.csv",
        "result.nc",
        "modes.csv",
        "profiles.png",
        "stress_index.png",
        "strength.csv",
        "strength.json",
        "strength.png",
        "channel.png",
        "modes.png",
    ),
    "monitor": ("profiles.csv", "result.nc", "modes.csv", "profiles.png", "stress_index.png"),
    "modes": ("modes.csv",),
    "modes2d": ("modes.csv", "modes.png"),
    "invert": ("profile.csv", "stress.csv", "inversion.json", "inversion.png"),
    "fit": ("fit_report.txt", "fit.json", "fitted_recipe.toml", "fit.png"),
    "sweep": ("sweep.nc", "sweep.csv", "sweep.png"),
    "arrhenius": ("arrhenius.json", "arrhenius.png"),
    "matano": ("interdiffusion.csv", "matano.csv", "matano.png"),
    "strength": ("strength.csv", "strength.json", "strength.png"),
}
# written by a running monitor outside any set (atomically, without the folder lock)
MONITOR_STATE = ("state.json", "monitor_checkpoint.npz")

# tempfile.mkstemp(prefix=".NAME.", suffix=".part"): 8 characters of its alphabet
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.part$")

_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("ionex_output_set", default=None)


def file_mode() -> int:
    """The permissions a plain open() would give a new file: 0o666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of ``path``."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _matches(path: Path, entry: dict | None) -> bool:
    """``path`` exists with the size and checksum of a manifest entry."""
    if not entry:
        return False
    try:
        if path.stat().st_size != entry.get("size"):
            return False
        return _digest(path)[1] == entry.get("sha256")
    except OSError:
        return False


def _read_manifest(directory: Path) -> dict:
    """The manifest of ``directory`` ({"sets": {}} without one).

    Raises:
        IonexError: the manifest exists but is not one ionex wrote.
    """
    path = directory / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"format": FORMAT, "sets": {}}
    except OSError as exc:
        raise IonexError(f"{path}: cannot read the output manifest ({exc.strerror})") from None
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("sets"), dict):
            raise ValueError('no "sets" table')
        for name, s in doc["sets"].items():
            if not isinstance(s, dict) or not isinstance(s.get("files", {}), dict):
                raise ValueError(f"set {name!r} is not a table of files")
    except ValueError as exc:
        raise IonexError(
            f"{path}: found an unreadable output manifest ({exc}); expected the JSON ionex writes "
            "(delete it and rerun with --force to start a new one)"
        ) from None
    return doc


def _write_manifest(directory: Path, doc: dict) -> None:
    """The manifest, atomically (temporary file, fsync, rename)."""
    text = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{MANIFEST}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, directory / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _owner(doc: dict, name: str, path: Path) -> str | None:
    """The command whose recorded (or pending) set holds ``path`` as it is on disk, or None."""
    for command, s in doc["sets"].items():
        for key in ("files", "pending"):
            if _matches(path, s.get(key, {}).get(name)):
                return command
    return None


def stale_temporaries(directory, names=None) -> list[Path]:
    """ionex's temporaries (``.NAME.<8 random characters>.part``) in ``directory`` for the file ``names``
    (default: every file a command writes, and the manifest)."""
    directory = Path(directory)
    if names is None:
        names = {n for files in COMMAND_FILES.values() for n in files} | {MANIFEST}
    found = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    for entry in entries:
        m = _TEMPORARY.match(entry.name)
        if m and m.group("name") in names and entry.is_file(follow_symlinks=False):
            found.append(Path(entry.path))
    return sorted(found)


@contextmanager
def _locked(directory: Path):
    """An exclusive lock on the folder (flock on the directory itself; none where the
    platform has no flock): two ionex commands writing into it take turns."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder that cannot be opened is reported by the writes
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


class OutputSet:
    """The files one command writes into ``directory``; see the module docstring.

    Args: directory — the output folder (created); command — the set's name (a key of
    COMMAND_FILES); inputs — every file the command reads (never replaced); force —
    replace files ionex did not write; invocation — the command line recorded in the
    manifest."""

    def __init__(
        self, directory, command: str, *, inputs=(), force: bool = False, invocation: str = ""
    ):
        self.directory = Path(directory)
        self.command = command
        self.inputs = [Path(p) for p in inputs if p is not None]
        self.force = force
        self.invocation = invocation or f"ionex {command}"
        self._staged: dict[str, Path] = {}
        self._token = None
        self._lock = None

    # -- checks ----------------------------------------------------------------------
    def _refusal(self, doc: dict, name: str, foreign: bool = True) -> str | None:
        target = self.directory / name
        for source in self.inputs:
            if _same_file(source, target):
                return (
                    f"{target}: is an input of `ionex {self.command}` ({source}) and would be overwritten by its "
                    f"output {name}; write the output elsewhere (-o)"
                )
        if not foreign or self.force or not (target.exists() or target.is_symlink()):
            return None
        if target.is_dir():
            return f"{target}: found a folder where `ionex {self.command}` writes its file {name}; expected a file"
        if _owner(doc, name, target) is not None:
            return None
        recorded = any(name in s.get("files", {}) for s in doc["sets"].values())
        what = "changed since ionex wrote it" if recorded else "not written by ionex"
        return (
            f"{target}: found a file {what}; expected none or ionex's own {name} — write elsewhere "
            f"(-o another folder) or replace it with --force"
        )

    def check(self, names) -> None:
        """Refuse (IonexError naming the file) before any work when an input of the command
        is one of the files it may write (COMMAND_FILES) or one of ``names``, or when one of
        ``names`` is a file ionex did not write (without ``force``)."""
        for name in dict.fromkeys([*COMMAND_FILES.get(self.command, ()), *names]):
            why = self._refusal({"sets": {}}, name, foreign=False)
            if why:
                raise IonexError(why)
        doc = {"sets": {}} if self.force else _read_manifest(self.directory)
        for name in names:
            why = self._refusal(doc, name)
            if why:
                raise IonexError(why)

    # -- writing ---------------------------------------------------------------------
    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = _locked(self.directory)
        self._lock.__enter__()
        try:
            self.remove_stale_temporaries()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, kind, exc, tb):
        _ACTIVE.reset(self._token)
        try:
            if kind is None:
                self._commit()
        finally:
            for tmp in self._staged.values():
                tmp.unlink(missing_ok=True)
            self._staged = {}
            self._lock.__exit__(None, None, None)
        return False

    def covers(self, target: Path) -> bool:
        """``target`` is a file of this set's folder."""
        return _same_file(target.parent, self.directory)

    def locked(self):
        """The folder's lock (a context manager), as held while a set is written."""
        return _locked(self.directory)

    def remove_stale_temporaries(self, extra=()) -> list[Path]:
        """Remove ionex's temporaries left in the folder by an interrupted command (of the
        files of any command, the manifest and ``extra`` names). Only safe while no ionex
        command writes there: inside the set's lock, or for ``extra`` names no other
        process writes (a monitor's state at its start)."""
        names = {n for files in COMMAND_FILES.values() for n in files} | {MANIFEST} | set(extra)
        removed = stale_temporaries(self.directory, names)
        for tmp in removed:
            tmp.unlink(missing_ok=True)
        return removed

    @contextmanager
    def temporary(self, target: Path):
        """A temporary path for ``target`` in the folder, renamed into place at the commit."""
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=self.directory)
        os.close(fd)
        try:
            yield Path(tmp)
            os.chmod(tmp, file_mode())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        old = self._staged.get(target.name)
        if old is not None:
            old.unlink(missing_ok=True)
        self._staged[target.name] = Path(tmp)

    def _commit(self) -> None:
        if not self._staged:  # nothing written: the recorded set stays as it is
            return
        doc = _read_manifest(self.directory) if not self.force else self._manifest_or_new()
        for name in self._staged:
            why = self._refusal(doc, name)
            if why:
                raise IonexError(why)
        new = {}
        for name, tmp in self._staged.items():
            size, sha = _digest(tmp)
            new[name] = {"size": size, "sha256": sha}
        sets = doc.setdefault("sets", {})
        previous = sets.get(self.command, {}).get("files", {})
        entry = dict(sets.get(self.command, {}))
        entry.setdefault("files", {})
        entry["pending"] = new
        sets[self.command] = entry
        _write_manifest(self.directory, doc)
        for name, tmp in list(self._staged.items()):
            os.replace(tmp, self.directory / name)
            del self._staged[name]
        for name, old in previous.items():  # the previous set's files this one lacks, if unchanged
            path = self.directory / name
            if (
                name not in new
                and _matches(path, old)
                and not any(_same_file(p, path) for p in self.inputs)
            ):
                path.unlink(missing_ok=True)
        for command in list(sets):
            if command != self.command:  # a file now belongs to the command that wrote it last
                for key in ("files", "pending"):
                    for name in new:
                        sets[command].get(key, {}).pop(name, None)
                if not sets[command].get("files") and not sets[command].get("pending"):
                    del sets[command]
        sets[self.command] = {
            "command": self.invocation,
            "ionex": __version__,
            "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": new,
        }
        doc["format"] = FORMAT
        _write_manifest(self.directory, doc)

    def _manifest_or_new(self) -> dict:
        try:
            return _read_manifest(self.directory)
        except IonexError:  # --force: an unreadable manifest is replaced
            return {"format": FORMAT, "sets": {}}


def staging_for(target: Path):
    """The OutputSet being written that ``target`` belongs to, or None."""
    active = _ACTIVE.get()
    if active is not None and active.covers(target) and target.name != MANIFEST:
        return active
    return None


@contextmanager
def writing(directory, command: str, **options):
    """Enter an OutputSet for ``directory``, or join the one already being written there."""
    active = _ACTIVE.get()
    if active is not None and _same_file(Path(directory), active.directory):
        yield active
        return
    with OutputSet(directory, command, **options) as outputs:
        yield outputs


@dataclass(frozen=True)
class Mismatch:
    """A file of an output folder that differs from its manifest."""

    path: Path
    command: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def check_output_set(directory, names=None) -> list[Mismatch]:
    """Every file of ``directory`` (or only those of ``names``) that differs from what its
    manifest records: missing, of another size or checksum (written by an interrupted run
    when it matches the pending checksums, else changed since), or written by an interrupted
    run but not yet recorded. Empty when the folder holds the recorded sets (or no manifest)."""
    directory = Path(directory)
    try:
        doc = _read_manifest(directory)
    except IonexError as exc:
        return [Mismatch(directory / MANIFEST, "", str(exc).split(": ", 1)[-1])]
    found = []
    for command, s in sorted(doc["sets"].items()):
        files, pending = s.get("files", {}), s.get("pending", {})
        for name in sorted(set(files) | set(pending)):
            if names is not None and name not in names:
                continue
            path = directory / name
            if name in files and _matches(path, files[name]):
                continue
            interrupted = f"written by an interrupted `ionex {command}` (its manifest was not updated); rerun it"
            if name in pending and _matches(path, pending[name]):
                problem = interrupted if name in files else f"not in the manifest: {interrupted}"
            elif name not in files:
                continue  # pending and never renamed into place: the recorded set is intact
            elif not path.exists():
                problem = f"missing; the manifest lists it in the set of `ionex {command}`"
            else:
                problem = (
                    f"size or checksum differs from the manifest (set of `ionex {command}`): changed since "
                    "ionex wrote it, or an interrupted run"
                )
            found.append(Mismatch(path, command, problem))
    return found


def read_warning(path) -> str | None:
    """One line when ``path`` is listed in its folder's manifest but differs from it (an
    interrupted run or an edited file), else None."""
    path = Path(path)
    if not (path.parent / MANIFEST).exists():
        return None
    for m in check_output_set(path.parent, {path.name}):
        return str(m)
    return None
