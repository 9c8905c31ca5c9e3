"""Files of the process monitor: the checkpoint (resume after a kill at any moment) and the
state as JSON with units in every key (the live page's endpoint and ``DIR/state.json``).

The checkpoint is one ``.npz`` replaced atomically (written to a temporary file in the same
directory, flushed to disk, then renamed over the old one), so a kill leaves either the
previous or the new checkpoint, never a torn one. It holds the monitor's arrays (with the
profiles at the recipe's output times passed), the log position that matches them, the
warnings so far (aggregated: a WarningSummary) and a fingerprint of the recipe.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from ..constants import ZERO_CELSIUS
from ..errors import RecipeError
from .furnace_log import LogPosition, WarningSummary
from .writers import atomic_path

__all__ = [
    "save_checkpoint",
    "load_checkpoint",
    "snapshot_to_json",
    "write_json_atomic",
    "recipe_fingerprint",
    "DamagedCheckpoint",
    "move_aside",
]

CHECKPOINT_VERSION = (
    2  # 2: warnings aggregated, output profiles; 1 (the last 200 warning texts) is still read
)


class DamagedCheckpoint(RecipeError):
    """A checkpoint that cannot be used: unreadable, torn or edited (the message says how)."""


def move_aside(path, why: str) -> Path:
    """Rename ``path`` to ``<name>.<why>-<UTC time>`` (kept for a post-mortem, never
    deleted); returns the new path."""
    from datetime import datetime, timezone

    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    os.replace(path, target)
    return target


def recipe_fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _replace_atomically(path: Path, write) -> None:
    # fsync before the rename: after a crash the new name never points at unwritten data
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _summary(warnings) -> WarningSummary:
    return warnings if isinstance(warnings, WarningSummary) else WarningSummary.from_texts(warnings)


def save_checkpoint(path, state: dict, position: LogPosition, warnings, fingerprint: str) -> None:
    """Write the monitor state, the log position and the warnings (a WarningSummary, or a
    list of texts) to ``path`` atomically."""
    path = Path(path)
    meta = {
        "version": CHECKPOINT_VERSION,
        "position": position.to_dict(),
        "warnings": _summary(warnings).to_list(),
        "fingerprint": fingerprint,
        "reached_at": state["reached_at"],
        "n_cells": state["n_cells"],
        "n_samples": int(state.get("n_samples", np.size(state["sample_times"]))),
    }
    n = int(state["n_cells"])

    def write(fh):
        np.savez(
            fh,
            frac=state["frac"],
            sample_times=state["sample_times"],
            sample_temperatures=state["sample_temperatures"],
            output_times=np.asarray(state.get("output_times", np.zeros(0)), float),
            output_states=np.asarray(state.get("output_states", np.zeros((0, n))), float).reshape(
                -1, n
            ),
            meta=np.array(json.dumps(meta)),
        )

    _replace_atomically(path, write)


def _read(path: Path):
    """The arrays and the metadata of a checkpoint, however it is damaged: a
    DamagedCheckpoint saying what is wrong."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except EOFError:
        raise DamagedCheckpoint(f"{path}: the monitor checkpoint is empty") from None
    except Exception as exc:  # noqa: BLE001 - zip, zlib, npy-format and I/O faults all mean the same here
        size = path.stat().st_size if path.exists() else 0
        raise DamagedCheckpoint(
            f"{path}: the monitor checkpoint ({size} bytes) is not a readable .npz archive "
            f"({type(exc).__name__}: {exc})"
        ) from None
    missing = [
        k for k in ("meta", "frac", "sample_times", "sample_temperatures") if k not in arrays
    ]
    if missing:
        raise DamagedCheckpoint(f"{path}: the monitor checkpoint lacks {', '.join(missing)}")
    try:
        meta = json.loads(str(arrays["meta"]))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise DamagedCheckpoint(
            f"{path}: the checkpoint's meta is not valid JSON ({exc})"
        ) from None
    return arrays, meta


def _check(path: Path, arrays: dict, meta: dict) -> None:
    """Is the checkpoint consistent with itself? A DamagedCheckpoint naming the first field
    that is not (found, expected)."""

    def bad(what):
        raise DamagedCheckpoint(f"{path}: {what}")

    if not isinstance(meta["reached_at"], (int, float)) or isinstance(meta["reached_at"], bool):
        bad(f"the checkpoint's reached_at is {meta['reached_at']!r}; expected a time in s (or NaN)")
    n = meta["n_cells"]
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        bad(f"the checkpoint's n_cells is {n!r}; expected a positive whole number")
    frac = arrays["frac"]
    if frac.shape != (n,):
        bad(f"the checkpoint's frac has shape {frac.shape}; its n_cells says {n} cells")
    t, T = arrays["sample_times"], arrays["sample_temperatures"]
    if t.ndim != 1 or T.shape != t.shape:
        bad(
            f"the checkpoint has {t.size} sample times and {T.size} sample temperatures; expected as many of each"
        )
    for name, x in (("frac", frac), ("sample_times", t), ("sample_temperatures", T)):
        if x.dtype.kind != "f" or not np.all(np.isfinite(x)):
            bad(f"the checkpoint's {name} holds non-finite or non-float values")
    if np.any(np.diff(t) <= 0):
        bad("the checkpoint's sample times do not increase")
    taken = meta.get("n_samples", t.size)
    if not isinstance(taken, int) or isinstance(taken, bool) or taken < t.size:
        bad(
            f"the checkpoint's n_samples is {taken!r}; expected a whole number ≥ the {t.size} samples it holds"
        )
    if t.size and np.any(T <= 0):
        bad("the checkpoint's sample temperatures are not all above 0 K")
    if "output_times" in arrays:
        ot, os_ = arrays["output_times"], arrays.get("output_states")
        if os_ is None or os_.ndim != 2 or os_.shape != (ot.size, n):
            shape = None if os_ is None else os_.shape
            bad(
                f"the checkpoint's output_states has shape {shape}; expected ({ot.size}, {n}) for "
                f"{ot.size} output times on {n} cells"
            )
    if not isinstance(meta["position"], dict) or not isinstance(meta["warnings"], list):
        bad("the checkpoint's position or warnings are not what ionex writes")
    try:
        LogPosition.from_dict(meta["position"])
    except TypeError as exc:
        bad(f"the checkpoint's log position is unreadable ({exc})")


def load_checkpoint(path, fingerprint: str):
    """(state, position, warnings as a WarningSummary) from ``path``, or None when there is
    no checkpoint.

    Raises:
        DamagedCheckpoint: the checkpoint is unreadable, torn or inconsistent (the message
            says what is wrong).
        RecipeError: it is of another version or belongs to another recipe.
    """
    path = Path(path)
    if not path.exists():
        return None
    arrays, meta = _read(path)
    for key in ("version", "fingerprint", "reached_at", "n_cells", "position", "warnings"):
        if key not in meta:
            raise DamagedCheckpoint(f"{path}: the checkpoint's meta lacks {key!r}")
    if meta.get("version") not in (1, CHECKPOINT_VERSION):
        raise RecipeError(
            f"{path}: checkpoint version {meta.get('version')!r}; expected {CHECKPOINT_VERSION}"
        )
    if meta.get("fingerprint") != fingerprint:
        raise RecipeError(
            f"{path}: this checkpoint was written for a different recipe; use another output "
            "directory, or --restart to move the checkpoint aside and start over"
        )
    _check(path, arrays, meta)
    state = {
        "frac": arrays["frac"].copy(),
        "sample_times": arrays["sample_times"].copy(),
        "sample_temperatures": arrays["sample_temperatures"].copy(),
        "reached_at": float(meta["reached_at"]),
        "n_cells": meta["n_cells"],
        "n_samples": meta.get("n_samples"),
    }
    if "output_times" in arrays:
        state["output_times"] = arrays["output_times"].copy()
        state["output_states"] = arrays["output_states"].copy()
    saved = list(meta["warnings"])
    try:
        if all(isinstance(w, str) for w in saved):  # version 1: the texts
            warnings = WarningSummary.from_texts(saved)
        else:
            warnings = WarningSummary(saved)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise DamagedCheckpoint(
            f"{path}: the checkpoint's warnings are unreadable ({exc})"
        ) from None
    return state, LogPosition.from_dict(meta["position"]), warnings


def _finite(x):
    return None if x is None or not math.isfinite(x) else float(x)


def _thin(x: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` points spread over x (first and last kept)."""
    if x.size <= limit:
        return np.arange(x.size)
    return np.unique(np.linspace(0, x.size - 1, limit).round().astype(int))


def snapshot_to_json(
    snap,
    *,
    warnings,
    status: str,
    log: str,
    updated: str,
    profile_points: int = 300,
    history_points: int = 1500,
    incoming_ion: str | None = None,
) -> dict:
    """The monitor's latest prediction as JSON-ready data, units in the keys.

    ``warnings`` (a WarningSummary, or a list of texts) becomes ``warnings``: one entry per
    kind of fault — ``kind``, ``count``, the ``first`` and ``last`` warning and their lines —
    and one per sensor drop-out and per gap, all of them; ``n_warnings`` counts the lines.
    ``incoming_ion`` (e.g. "K") names the ion of ``frac_incoming`` for the page's labels."""
    summary = _summary(warnings)
    depth = np.asarray(snap.depth)
    frac = np.asarray(snap.frac)
    # the exchanged layer under the front face: to 1.5× the depth where the fraction falls
    # below 1e-4 of its surface value (at least 10 cells), never past the mid-plane
    half = int(np.searchsorted(depth, 0.5 * (depth[0] + depth[-1]), side="right"))
    low = np.nonzero(frac[:half] < 1e-4 * max(frac[0], 1e-300))[0]
    reach = 1.5 * depth[low[0]] if low.size else depth[half - 1]
    layer = np.nonzero(depth[:half] <= reach)[0]
    layer = layer if layer.size >= 10 else np.arange(min(10, half))
    keep = layer[_thin(depth[layer], profile_points)]
    profiles = {"depth_um": (depth[keep] * 1e6).tolist(), "frac_incoming": frac[keep].tolist()}
    if snap.stress is not None:
        profiles["stress_MPa"] = (np.asarray(snap.stress)[keep] / 1e6).tolist()
    if snap.n_te is not None:
        profiles["n_TE"] = np.asarray(snap.n_te)[keep].tolist()
        profiles["n_TM"] = np.asarray(snap.n_tm)[keep].tolist()
    hk = _thin(np.asarray(snap.sample_times), history_points)
    pred = None
    if snap.prediction is not None:
        p = snap.prediction
        unit = {"depth_of_layer": ("um", 1e6), "compressive_stress": ("MPa", 1e-6)}.get(
            p.target.kind, ("", 1.0)
        )
        pred = {
            "target": p.target.kind,
            "unit": unit[0],
            "value": p.target.value * unit[1],
            "current": _finite(p.current * unit[1]),
            "reached": p.reached,
            "time_h": _finite(p.time / 3600.0),
            "remaining_h": _finite((p.time - snap.time) / 3600.0),
            "horizon_h": p.horizon / 3600.0,
            "assumed_temperature_C": p.assumed_temperature - ZERO_CELSIUS,
        }
    return {
        "status": status,
        "log": log,
        "updated": updated,
        "incoming_ion": incoming_ion,
        "time_h": snap.time / 3600.0,
        "temperature_C": _finite(snap.temperature - ZERO_CELSIUS),
        "n_samples": snap.n_samples,
        "compressive_stress_MPa": _finite(snap.compressive_stress / 1e6),
        "depth_of_layer_um": _finite(snap.depth_of_layer * 1e6),
        "modes": snap.mode_counts,
        "prediction": pred,
        "warnings": summary.to_list(),
        "n_warnings": summary.total,
        "history": {
            "time_h": (np.asarray(snap.sample_times)[hk] / 3600.0).tolist(),
            "temperature_C": (np.asarray(snap.sample_temperatures)[hk] - ZERO_CELSIUS).tolist(),
        },
        "profiles": profiles,
    }


def write_json_atomic(path, data: dict) -> None:
    """JSON to ``path`` via a temporary file and a rename (readers never see half a file)."""
    text = json.dumps(data, indent=1, allow_nan=False).encode("utf-8")
    _replace_atomically(Path(path), lambda fh: fh.write(text))
