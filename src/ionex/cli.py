"""Command line: ``ionex run RECIPE -o DIR`` and the other commands. Thin: parse, load, call
process, write."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ._version import __version__
from .errors import IonexError

__all__ = ["main"]


class ProgressBar:
    """A tracker showing progress in process hours on stderr, only for runs longer than
    ``delay`` seconds: a tqdm bar on a terminal; otherwise (a log file, a pipe) one line at
    each tenth of the run — or every 30 s of wall time when the end is not known in advance
    (a run that stops at a delivered charge) — so that logs are not flooded with redraws."""

    LOG_EVERY = 30.0  # s of wall time between lines of an open-ended run in a log

    def __init__(self, enabled: bool = True, delay: float = 1.0, stream=None):
        self.enabled = enabled
        self.delay = delay
        self.stream = stream
        self.bar = None
        self.total = math.nan
        self.started = 0.0
        self.logged = 0.0  # tenths done (or wall time of the last line) in log mode

    def initialize(self, total_time: float) -> None:
        import time

        if not self.enabled:
            return
        stream = self.stream if self.stream is not None else sys.stderr
        self.stream, self.total, self.started = stream, total_time, time.monotonic()
        if not stream.isatty():
            self.logged = 0.0
            return
        from tqdm import tqdm

        if math.isfinite(total_time):
            self.bar = tqdm(
                total=round(total_time / 3600.0, 6),
                unit="h",
                delay=self.delay,
                file=stream,
                bar_format="{l_bar}{bar}| {n:.3g}/{total:.3g} h process time [{elapsed}<{remaining}]",
            )
        else:  # the run ends on a condition (a delivered charge), not at a known time
            self.bar = tqdm(
                total=None,
                unit="h",
                delay=self.delay,
                file=stream,
                bar_format="{n:.4g} h process time [{elapsed}]",
            )

    def handle(self, time: float, state) -> None:
        if not self.enabled:
            return
        hours = round(time / 3600.0, 6)
        if self.bar is not None:
            # update() honours tqdm's delay: nothing is drawn for runs shorter than 1 s
            self.bar.update((min(hours, self.bar.total) if self.bar.total else hours) - self.bar.n)
            return
        import time as clock

        elapsed = clock.monotonic() - self.started
        if elapsed < self.delay:
            return
        if math.isfinite(self.total) and self.total > 0:
            tenths = math.floor(10.0 * min(time / self.total, 1.0))
            if tenths > self.logged:
                self.logged = tenths
                print(
                    f"progress: {10 * tenths:.0f} % ({hours:.4g} of {self.total / 3600:.4g} h process time, "
                    f"{elapsed:.0f} s)",
                    file=self.stream,
                    flush=True,
                )
        elif elapsed - self.logged >= self.LOG_EVERY:
            self.logged = elapsed
            print(
                f"progress: {hours:.4g} h process time ({elapsed:.0f} s)",
                file=self.stream,
                flush=True,
            )

    def finalize(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _format_summary(result) -> str:
    from .units import shown_in

    a = result.incoming_ion
    head = f"{'time':>10}  {'step':<18} {'uptake of ' + a:>16}  {'depth frac_' + a + '=0.5':>20}  {'depth frac_' + a + '=0.1':>20}"
    units = f"{'(h)':>10}  {'':<18} {'(mol/m²)':>16}  {'(µm)':>20}  {'(µm)':>20}"
    lines = [head, units]
    for row in result.summary():
        h = float(shown_in(row["time_s"], "h"))
        d5 = row["depth_frac_0.5_m"]
        d1 = row["depth_frac_0.1_m"]

        def um(x):
            return "—" if math.isnan(x) else f"{float(shown_in(x, 'um')):.4g}"

        step = f"{row['step']}: {row['step_name']}"[:18]
        lines.append(
            f"{h:>10.4g}  {step:<18} {row['uptake_mol_m2']:>16.5g}  {um(d5):>20}  {um(d1):>20}"
        )
    rows = result.summary()
    if "CS_Pa" in rows[0]:
        lines += [
            "",
            f"{'time':>10}  {'CS':>9}  {'DOC':>9}  {'CT':>9}  {'DOL':>9}  {'knee depth':>10}  {'CS_knee':>9}",
            f"{'(h)':>10}  {'(MPa)':>9}  {'(µm)':>9}  {'(MPa)':>9}  {'(µm)':>9}  {'(µm)':>10}  {'(MPa)':>9}",
        ]
        for row in rows:
            h = float(shown_in(row["time_s"], "h"))

            def mpa(x):
                return "—" if math.isnan(x) else f"{float(shown_in(x, 'MPa')):.4g}"

            def um(x):
                return "—" if math.isnan(x) else f"{float(shown_in(x, 'um')):.4g}"

            lines.append(
                f"{h:>10.4g}  {mpa(row['CS_Pa']):>9}  {um(row['DOC_m']):>9}  {mpa(row['CT_Pa']):>9}  "
                f"{um(row['DOL_m']):>9}  {um(row['knee_depth_m']):>10}  {mpa(row['CS_knee_Pa']):>9}"
            )
        lines.append(
            "CS, CS_knee: compression at the surface and at the knee (> 0); CT: central tension (> 0); "
            "knee —: none"
        )
    if "modes_TE" in rows[0]:
        lines += [
            "",
            "guided modes (TE/TM) at "
            + ", ".join(
                f"{float(shown_in(r['time_s'], 'h')):.4g} h: {r['modes_TE']}/{r['modes_TM']}"
                for r in rows
            ),
        ]
    return "\n".join(lines)


def _run(args) -> int:
    from .io.furnace_log import WarningSummary
    from .io.recipe import load_recipe
    from .io.run_outputs import write_run_outputs
    from .process.simulate import simulate

    _check_run_flags(args)
    # temperature logs (a recipe's log = "…", --temperature-log): strict, or --lenient
    log_warnings: list = []
    recipe = load_recipe(
        args.recipe, lenient_logs=args.lenient, warnings=log_warnings, log_limits=_log_limits(args)
    )
    if args.lenient and not args.temperature_log and not _reads_a_log(recipe):
        raise IonexError(
            f'--lenient applies only to temperature logs (--temperature-log or a recipe\'s log = "…"); '
            f"{args.recipe} reads none"
        )
    if getattr(recipe, "mask", None) is not None:
        given = [
            f for f, v in (("--temperature-log", args.temperature_log), ("--sims", args.sims)) if v
        ]
        if given:
            raise IonexError(
                f"{args.recipe}: {given[0]} applies to 1-D runs; this recipe has a [mask] "
                "(a channel cross-section)"
            )
    sims = _run_sims(recipe, args)
    resolution = _roughness(args)
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "run",
        out,
        [args.recipe, args.temperature_log, args.sims],
        (
            ["result.nc", "modes.csv"] + ([] if args.no_plot else ["channel.png", "modes.png"])
            if getattr(recipe, "mask", None) is not None
            else ["profiles.csv", "result.nc"] + ([] if args.no_plot else ["profiles.png"])
        )
        + (["profiles_convolved.csv"] if resolution else [])
        + (
            ["strength.csv", "strength.json"] + ([] if args.no_plot else ["strength.png"])
            if getattr(recipe, "strength", None) is not None
            else []
        ),
    )
    summary = WarningSummary()
    if args.temperature_log:
        result = _run_logged(recipe, args, summary, log_warnings)
    else:
        if not args.quiet:  # the first of each kind, each drop-out and gap, then how many more
            for w in summary.extend(log_warnings):
                print(f"warning: {w}", file=sys.stderr)
            for line in summary.repeated():
                print(f"warning: {line}", file=sys.stderr)
        result = simulate(recipe, tracker=ProgressBar(enabled=not args.quiet))
    from .process.result import Result

    from .process.multicomponent import MulticomponentResult

    if isinstance(result, MulticomponentResult):
        return _write_multicomponent(result, out, args, outputs)
    if getattr(recipe, "mask", None) is not None:
        return _write_channel(result, out, args, outputs)
    if not isinstance(result, Result):  # the Nernst–Planck–Poisson engine's result
        return _write_experiment(result, out, args, outputs, sims, resolution)
    try:
        with outputs:
            written = write_run_outputs(result, out, plot=not args.no_plot)
            strength = _run_strength(result, out, args)
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        d = result.diagnostics
        ran = result.recipe  # with --temperature-log: as long as the log, not the plan
        print(
            f"{recipe.name}: {recipe.incoming_ion}+ replacing {recipe.glass.host_ion}+, "
            f"Form {recipe.model.form}, {len(ran.steps)} step(s), {ran.total_time / 3600:.4g} h"
        )
        print(_format_summary(result))
        print(
            f"solver: {d['cells']} cells, {d['time_steps']} steps ({d['rejected_steps']} rejected), "
            f"{d['wall_time_s'] * 1e3:.0f} ms"
        )
        if "warning" in d:
            print(f"warning: {d['warning']}", file=sys.stderr)
        print("wrote " + ", ".join(str(p) for p in written))
        _print_run_strength(*strength)
    return 0


def _run_strength(result, out: Path, args) -> tuple:
    """A recipe's [strength]: the final state of ``result`` assessed as `ionex strength`
    would; writes strength.csv, .json, .png (call it inside the run's output set).
    Returns (report, source, files written), or (None, None, []) without [strength]."""
    recipe = result.recipe
    if getattr(recipe, "strength", None) is None:
        return None, None, []
    from .io.strength_files import result_stress, write_strength_outputs
    from .process.strength import assess_strength
    from .validators import FieldError

    source = result_stress(result)
    try:
        report = assess_strength(
            source.depth, source.stress, source.thickness, recipe.strength, source.glass
        )
    except FieldError as exc:
        raise IonexError(f"{args.recipe}: strength.{exc.field}: {exc.expected}") from None
    return report, source, write_strength_outputs(report, source, out, plot=not args.no_plot)


def _print_run_strength(report, source, written) -> None:
    if report is not None:
        _print_strength(report, source)
        print("wrote " + ", ".join(str(p) for p in written))


def _check_run_flags(args) -> None:
    """Refuse `ionex run` flags that do not apply to the others given (before any work)."""
    if args.crater_depth and not args.sims:
        raise IonexError(
            f"--crater-depth applies only with --sims (the crater of that ToF-SIMS profile); "
            f"found --crater-depth {args.crater_depth!r} without --sims"
        )
    if args.roughness and not args.sims:
        raise IonexError(
            f"--roughness applies only with --sims (the depth resolution of that ToF-SIMS "
            f"profile); found --roughness {args.roughness!r} without --sims"
        )
    if args.gap_limit is not None and not args.temperature_log:
        raise IonexError(
            f"--gap-limit applies only with --temperature-log (gaps in that log); found --gap-limit "
            f"{args.gap_limit!r} without --temperature-log"
        )


def _reads_a_log(recipe) -> bool:
    """Whether a step of ``recipe`` takes its temperature from a log file."""
    return any(
        getattr(getattr(step, "temperature", None), "source", "program")
        not in ("program", "constant")
        for step in getattr(recipe, "steps", ())
    )


def _run_sims(recipe, args):
    """The --sims profile of an NPP recipe, read before the run; refused for other recipes."""
    if not args.sims:
        return None
    from .process.experiments import ExperimentRecipe

    if not isinstance(recipe, ExperimentRecipe):
        raise IonexError(
            f"--sims applies only to Nernst–Planck–Poisson recipes ([model] kind = "
            f'"nernst-planck-poisson", whose plot it overlays); this recipe ({args.recipe}) is a binary '
            "interdiffusion recipe"
        )
    if not args.crater_depth:
        raise IonexError('--sims needs --crater-depth (the measured crater depth, e.g. "120 nm")')
    crater = _quantity(args.crater_depth, "length", "--crater-depth")
    if not crater > 0:
        raise IonexError(
            f"--crater-depth: found {args.crater_depth!r}; expected the measured crater depth > 0, "
            'e.g. "120 nm"'
        )
    from .io.sims import read_sims_profile

    return read_sims_profile(
        args.sims, crater_depth=crater, elements=[sp.name for sp in recipe.species]
    )


def _roughness(args):
    """The Gaussian depth resolution of --roughness (rms roughness > 0), or None."""
    if not args.roughness:
        return None
    from .physics.depth_resolution import GaussianResolution
    from .validators import FieldError

    try:  # the rule is GaussianResolution's; here it is located
        return GaussianResolution(_quantity(args.roughness, "length", "--roughness"))
    except FieldError as exc:
        raise IonexError(
            f"--roughness: found {args.roughness!r}; {exc.expected} (the rms roughness of the "
            "crater bottom)"
        ) from None


def _as_measured(result, sims, resolution):
    """The final fractions of an NPP run as the ToF-SIMS profile ``sims`` would show them
    through ``resolution``: (cell centres within its crater (m), species → fractions)."""
    from .physics.depth_resolution import convolve_profile

    depth = result.depth[result.depth <= sims.crater_depth]
    return depth, {
        name: convolve_profile(result.depth, result.fraction(name)[-1], resolution, depth)
        for name in result.species
    }


def _time_option(text, option: str, minimum: float = 0.0, why: str = "") -> float:
    """A time flag (s), refused unless above 0 and at least ``minimum`` s."""
    t = _quantity(text, "time", option)
    if not (t > 0 and t >= minimum):
        floor = f"at least {minimum:g} s" if minimum > 0 else "a time > 0"
        raise IonexError(f"{option}: found {text!r}; expected {floor}{why}")
    return t


def _quantity(text, kind, option):
    from .units import UnitError, to_si

    try:
        return to_si(text, kind, option)
    except UnitError as exc:
        raise IonexError(str(exc)) from None


def _prism_from_args(args):
    """The coupling prism of --prism NAME or --prism-index/--prism-angle, or None."""
    from .physics import materials
    from .physics.prism import Prism

    if args.prism and (args.prism_index is not None or args.prism_angle is not None):
        raise IonexError("give either --prism NAME or --prism-index with --prism-angle, not both")
    if args.prism:
        try:
            preset = materials.prism(args.prism)
        except ValueError as exc:
            raise IonexError(f"--prism: {exc}") from None
        return Prism(preset.index, preset.angle)
    if (args.prism_index is None) != (args.prism_angle is None):
        raise IonexError("--prism-index and --prism-angle go together: give both (or --prism NAME)")
    if args.prism_index is None:
        return None
    try:
        return Prism(float(args.prism_index), _quantity(args.prism_angle, "angle", "--prism-angle"))
    except ValueError as exc:
        raise IonexError(f"--prism-index/--prism-angle: {exc}") from None


def _output_dir(path) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IonexError(f"{out}: cannot create the output directory ({exc.strerror})") from None
    return out


def _output_set(args, command: str, out: Path, inputs, names):
    """The OutputSet ``command`` writes into ``out``, checked before any work: none of
    ``inputs`` (the files it reads) is overwritten, nor a file of ``names`` that ionex did
    not write (unless --force). Warns about an input that differs from its folder's manifest."""
    from .io.output_set import OutputSet, read_warning

    inputs = [Path(p) for p in inputs if p]
    if not getattr(args, "quiet", False):
        for path in inputs:
            text = read_warning(path)
            if text:
                print(f"warning: {text}", file=sys.stderr)
    outputs = OutputSet(
        out,
        command,
        inputs=inputs,
        force=args.force,
        invocation=getattr(args, "invocation", f"ionex {command}"),
    )
    outputs.check(names)
    return outputs


def _wavelength(text: str) -> float:
    """--wavelength: a vacuum wavelength in m, > 0."""
    value = _quantity(text, "length", "--wavelength")
    if not value > 0:
        raise IonexError(
            f'--wavelength: found {text!r}; expected a vacuum wavelength > 0, e.g. "677 nm"'
        )
    return value


def _index_option(flag: str, value: float, what: str) -> float:
    """A refractive index given on the command line: finite, within the indices of glass."""
    from .io.tables import INDEX_RANGE

    if not (math.isfinite(value) and INDEX_RANGE[0] <= value < INDEX_RANGE[1]):
        raise IonexError(
            f"{flag}: found {value!r}; expected {what}, a number ≥ {INDEX_RANGE[0]:g} and below "
            f"{INDEX_RANGE[1]:g}"
        )
    return value


def _cover_index(args, limit: float | None = None, reason: str = "") -> float:
    """--cover: the refractive index of the cover medium (1.0 = air), below ``limit`` (the
    guide's highest index, or its lowest mode index: ``reason`` says which)."""
    value = _index_option("--cover", args.cover, "the refractive index of the cover (1.0 = air)")
    if limit is not None and not value < limit:
        raise IonexError(
            f"--cover: found {value!r}; expected a cover index below {limit:.6g}: {reason}"
        )
    return value


def _modes2d(args) -> int:
    """`ionex modes2d`: the guided modes of a channel run's final index maps."""
    from .io.channel_outputs import modes_figure, read_channel_maps, write_modes_2d
    from .io.plots import save_figure
    from .solvers.modes2d import solve_modes_2d

    maps = read_channel_maps(args.result)
    wavelength = _wavelength(args.wavelength) if args.wavelength else maps.wavelength
    if isinstance(args.modes, bool) or args.modes < 1:
        raise IonexError(f"--modes: found {args.modes!r}; expected a whole number ≥ 1")
    if not math.isclose(wavelength, maps.wavelength, rel_tol=1e-9) and not args.quiet:
        print(
            f"warning: the index maps are the run's at {maps.wavelength * 1e9:.5g} nm; at "
            f"{wavelength * 1e9:.5g} nm they are used as they are (no dispersion of n_b or Δn_0)",
            file=sys.stderr,
        )
    names = ["modes.csv"] + ([] if args.no_plot else ["modes.png"])
    out = _output_dir(args.output)
    outputs = _output_set(args, "modes2d", out, [Path(args.result) / "result.nc"], names)
    pols = ("scalar", "TE", "TM") if args.scalar else ("TE", "TM")
    index = {"TE": maps.n_te, "TM": maps.n_tm, "scalar": 0.5 * (maps.n_te + maps.n_tm)}
    try:
        modes = solve_modes_2d(
            maps.depth,
            maps.lateral,
            index,
            wavelength,
            polarisations=pols,
            modes=args.modes,
            cover_index=maps.cover_index,
            substrate_index=maps.base_index,
        )
    except ValueError as exc:
        raise IonexError(f"{args.result}: {exc}") from None
    try:
        with outputs:
            written = [write_modes_2d(modes, out / "modes.csv")]
            if not args.no_plot:
                written.append(save_figure(modes_figure(modes, maps.title), out / "modes.png"))
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        print(f"{maps.title}: modes at λ = {wavelength * 1e9:.5g} nm")
        for pol in pols:
            n = modes.effective_indices(pol, guided_only=True)
            print(f"  {pol}: {n.size} guided (N = {', '.join(f'{v:.6f}' for v in n)})")
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _modes(args) -> int:
    from .io.tables import read_index_profile
    from .io.writers import write_modes_csv
    from .process.waveguide import front_guide, why_no_modes
    from .solvers.modes import solve_modes

    _cover_index(args)
    prism = _prism_from_args(args)
    time = _quantity(args.time, "time", "--time") if args.time else None
    table = read_index_profile(args.profile, time=time, column=args.column)
    if args.column and table.profiles:
        raise IonexError(
            f"--column applies only to a fraction turned into an index with --material; {table.path} "
            f"holds the index ({table.index_column}), so --column {args.column!r} would be ignored"
        )
    outputs = _output_set(args, "modes", _output_dir(args.output), [args.profile], ["modes.csv"])
    profiles, wavelength, notes = _index_profiles(table, args)
    cover = _cover_index(
        args,
        max(float(n.max()) for _, n in profiles.values()),
        f"the highest index of {args.profile}, which would lie below the cover index everywhere",
    )
    if table.times and len(table.times) > 1:
        notes.insert(
            0,
            f"{table.path.name} holds {len(table.times)} times; the profile at {table.time / 3600:.6g} h is "
            "solved" + ("" if args.time else " (the last; choose with --time)"),
        )
    substrate = None
    if args.substrate_index is not None:
        substrate = _index_option(
            "--substrate-index", args.substrate_index, "the refractive index of the substrate"
        )
        if not substrate > cover:
            raise IonexError(
                f"--substrate-index: found {substrate!r}; expected an index above the cover's ({cover:g})"
            )
    found, guides = {}, {}
    for pol, (depth, index) in profiles.items():
        try:
            guides[pol] = guide = front_guide(depth, index, substrate_index=substrate)
            found[pol] = solve_modes(
                guide.depth,
                guide.index,
                wavelength,
                cover_index=cover,
                polarisations=(pol,),
                substrate_index=guide.substrate_index,
            )
        except ValueError as exc:
            raise IonexError(f"{args.profile}: {pol}: {exc}") from None
        notes += [n for n in guide.notes if n not in notes]
    out = _output_dir(args.output)
    try:
        with outputs:
            path = write_modes_csv(found, out / "modes.csv", prism)
    except ValueError as exc:  # a mode the prism cannot couple
        raise IonexError(f"{args.profile}: {exc}") from None
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        for note in notes:
            print(f"note: {note}")
        for pol, ms in found.items():
            n_eff = ms.effective_indices(pol)
            if n_eff.size:
                print(f"{pol}: {n_eff.size} guided modes: " + ", ".join(f"{n:.6f}" for n in n_eff))
            else:
                print(
                    f"{pol}: 0 guided modes — {why_no_modes(guides[pol], wavelength, pol, cover)}"
                )
        print(f"wrote {path}")
    return 0


def _index_profiles(table, args):
    """({pol: (depth m, n)}, wavelength m, notes) of a profile table: its index columns, or its
    fraction (and stress) turned into n_TE/n_TM with --material's optics."""
    from .physics import materials
    from .physics.optics import ElastoOptic, stress_free_index, stressed_indices

    notes = []
    if table.profiles:
        if args.material:
            raise IonexError(
                f"--material: {table.path} already holds the index ({table.index_column}); "
                "--material only turns a fraction column into an index"
            )
        if not args.wavelength:
            raise IonexError(
                '--wavelength is required (the vacuum wavelength of the index profile, e.g. "677 nm")'
            )
        return dict(table.profiles), _wavelength(args.wavelength), notes
    if not args.material:
        raise IonexError(
            f"{table.path}: the file holds the fraction {table.fraction_column} but no index; give "
            "--material (a preset with n_b, Δn_0 and the elasto-optic constants) to make one"
        )
    try:
        m = materials.material(args.material)
    except ValueError as exc:
        raise IonexError(f"--material: {exc}") from None
    wavelength = m.wavelength
    if args.wavelength:
        given = _wavelength(args.wavelength)
        if abs(given - m.wavelength) > 1e-9 * m.wavelength:
            raise IonexError(
                f"--wavelength: found {args.wavelength!r}; the {m.name} preset holds its index at "
                f"{m.wavelength * 1e9:.6g} nm (omit --wavelength, or give an index profile)"
            )
    depth, frac = table.fraction
    n0 = stress_free_index(frac, m.base_index, m.index_change)
    if table.stress is None:
        notes.append(
            f"no stress_Pa column: TE and TM see the stress-free index n_b + Δn_0·{table.fraction_column} "
            f"of {m.name}"
        )
        return {"TE": (depth, n0), "TM": (depth, n0)}, wavelength, notes
    n_te, n_tm = stressed_indices(n0, table.stress, ElastoOptic(m.c_parallel, m.c_perp))
    notes.append(f"n_TE, n_TM from {table.fraction_column} and stress_Pa with the {m.name} preset")
    return {"TE": (depth, n_te), "TM": (depth, n_tm)}, wavelength, notes


def _invert(args) -> int:
    """``ionex invert MODES.csv -o DIR``: index profiles (and stress) from mode indices, by a
    profile model fitted through the exact mode solver or by inverse WKB."""
    from .io.inversion_files import plot_inversion, write_inversion
    from .io.tables import read_header, read_mode_list
    from .physics.optics import ElastoOptic
    from .process import inversion

    method = inversion.Method(args.method)
    _cover_index(args)
    prism = _prism_from_args(args)
    wavelength, eo = _invert_optics(args)
    if prism is not None and "effective_index" in read_header(args.modes):
        raise IonexError(
            f"--prism applies only to a list of synchronous angles (synchronous_angle_deg); {args.modes} "
            "holds effective_index, so the prism would be ignored"
        )
    modes = read_mode_list(args.modes, prism, polarisation=args.polarisation)
    if eo is not None and not args.material and len(modes) < 2:
        raise IonexError(
            f"--c-parallel/--c-perp give the stress from the TE and TM modes together; {args.modes} "
            f"gives {', '.join(modes)} modes only"
            + (f" (--polarisation {args.polarisation})" if args.polarisation else "")
            + ", so they would be ignored"
        )
    cover = _cover_index(
        args,
        min(float(n.min()) for n in modes.values()),
        f"the lowest effective index of {args.modes} (a guided mode lies above the cover)",
    )
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "invert",
        out,
        [args.modes],
        ["profile.csv", "inversion.json"] + ([] if args.no_plot else ["inversion.png"]),
    )
    options = {}
    if method is inversion.Method.MODEL:
        if args.surface_index is not None:
            raise IonexError(
                "--surface-index: only inverse WKB extrapolates a surface index (--method iwkb); the "
                "model method fits the whole profile"
            )
        if args.family != "auto" and args.family not in inversion.FAMILIES:
            raise IonexError(
                f"--family: found {args.family!r}; expected auto or one of {', '.join(inversion.FAMILIES)}"
            )
        options["family"] = (
            inversion.AUTO if args.family == "auto" else inversion.FAMILIES[args.family]
        )
        if args.index_sigma is not None:
            if not (math.isfinite(args.index_sigma) and args.index_sigma > 0):
                raise IonexError(
                    f"--index-sigma: found {args.index_sigma!r}; expected the standard deviation of "
                    "each measured index, a number > 0 (e.g. 2e-5)"
                )
            options["index_sigma"] = args.index_sigma
        if args.substrate_index is not None:
            options["substrate_index"] = _index_option(
                "--substrate-index", args.substrate_index, "the refractive index of the substrate"
            )
            if not options["substrate_index"] > cover:
                raise IonexError(
                    f"--substrate-index: found {args.substrate_index!r}; expected an index above the "
                    f"cover's ({cover:g})"
                )
    else:
        for flag, value in (
            ("--family", args.family != "auto"),
            ("--index-sigma", args.index_sigma is not None),
            ("--substrate-index", args.substrate_index is not None),
        ):
            if value:
                raise IonexError(
                    f"{flag}: only the model method uses it (--method model); inverse WKB has no "
                    "profile family, weights or substrate"
                )
        surface = args.surface_index or "chiang"
        if surface not in ("chiang", "smooth"):
            try:
                surface = float(surface)
            except ValueError:
                raise IonexError(
                    f"--surface-index: found {surface!r}; expected chiang, smooth or a number"
                ) from None
        options["surface_index"] = surface
    try:
        inv = inversion.invert_modes(
            modes,
            wavelength,
            method=method,
            cover_index=cover,
            elasto_optic=ElastoOptic(*eo) if eo else None,
            **options,
        )
    except ValueError as exc:
        raise IonexError(f"{args.modes}: {exc}") from None
    try:
        with outputs:
            written = write_inversion(inv, out, source=str(args.modes))
            if not args.no_plot:
                written.append(plot_inversion(inv, out / "inversion.png"))
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        print(_inversion_summary(inv, args.modes))
        print("wrote " + ", ".join(str(p) for p in written))
        for warning in inv.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def _invert_optics(args):
    """(wavelength m, (C∥, C⊥) or None) from --wavelength and --material or --c-parallel/--c-perp."""
    from .physics import materials

    m = None
    if args.material:
        if args.c_parallel is not None or args.c_perp is not None:
            raise IonexError("give either --material or --c-parallel with --c-perp, not both")
        try:
            m = materials.material(args.material)
        except ValueError as exc:
            raise IonexError(f"--material: {exc}") from None
    if args.wavelength:
        wavelength = _wavelength(args.wavelength)
        if m is not None and abs(wavelength - m.wavelength) > 1e-9 * m.wavelength:
            raise IonexError(
                f"--wavelength: found {args.wavelength!r}; the {m.name} preset holds its elasto-optic "
                f"constants at {m.wavelength * 1e9:.6g} nm (omit --wavelength, or give --c-parallel and "
                "--c-perp for your wavelength)"
            )
    elif m is not None:
        wavelength = m.wavelength
    else:
        raise IonexError(
            '--wavelength is required (the vacuum wavelength of the measurement, e.g. "677 nm"), '
            "unless --material gives it"
        )
    if m is not None:
        return wavelength, (m.c_parallel, m.c_perp)
    if args.c_parallel is None and args.c_perp is None:
        return wavelength, None
    given = {
        flag: _quantity(
            text, "inverse_pressure", flag
        )  # each checked first: its own fault is named
        for flag, text in (("--c-parallel", args.c_parallel), ("--c-perp", args.c_perp))
        if text is not None
    }
    if len(given) < 2:
        raise IonexError("--c-parallel and --c-perp go together: give both (or --material)")
    return wavelength, (given["--c-parallel"], given["--c-perp"])


def _inversion_summary(inv, source) -> str:
    """What `ionex invert` prints: the method and model, each polarisation, the stress."""
    from .process.inversion import Method

    counts = ", ".join(f"{p.effective_indices.size} {pol}" for pol, p in inv.profiles.items())
    lines = [f"{source}: {counts} modes at {inv.wavelength * 1e9:.6g} nm"]
    if inv.method is Method.MODEL:
        sigma = {
            "index_sigma": "the given index σ",
            "reduced_chi2": "the scatter of the fit (no --index-sigma)",
        }
        lines.append(
            f"model: {inv.family.name} profile, χ²_red = {inv.reduced_chi2:.3g}; uncertainties from "
            f"{sigma.get(inv.uncertainty, inv.uncertainty)}"
        )
        if len(inv.candidates) > 1:
            lines.append(
                "  families tried (AICc, best first): "
                + ", ".join(
                    f"{c.family} {c.criterion:.4g}"
                    for c in inv.candidates
                    if math.isfinite(c.criterion)
                )
            )
        for name in inv.parameter_names:
            v, e = inv.parameters[name], inv.parameter_stderr[name]
            lines.append(
                f"  {name:<16} {v:.6g} ± {e:.2g}" if math.isfinite(e) else f"  {name:<16} {v:.6g}"
            )
    else:
        lines.append(
            "inverse WKB (White–Heidrich, exact cover phase; surface index by "
            "extrapolation): no uncertainties"
        )
    for pol, p in inv.profiles.items():
        lines.append(
            f"{pol}: surface index {p.surface_index:.6f}, the modes cover {p.covered_depth * 1e6:.3g} µm"
        )
    if inv.stress is not None:
        s0 = float(inv.stress_at(0.0))
        where = "at the surface" if inv.method is Method.MODEL else "extrapolated to the surface"
        lines.append(f"stress {where}: {s0 / 1e6:.0f} MPa (compression < 0)")
    return "\n".join(lines)


def _add_prism_options(p) -> None:
    p.add_argument("--prism", help="a prism preset (PSK-3) for synchronous angles")
    p.add_argument("--prism-index", type=float, help="prism index n_p at the wavelength")
    p.add_argument("--prism-angle", help='prism refracting angle with unit, e.g. "70.0963 deg"')


def _write_channel(result, out: Path, args, outputs) -> int:
    """Outputs and summary of a channel run: result.nc, modes.csv, channel.png, modes.png."""
    from .io.channel_outputs import write_channel_outputs

    try:
        with outputs:
            written = write_channel_outputs(result, out, plot=not args.no_plot)
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        recipe = result.recipe
        print(
            f"{recipe.name}: {recipe.incoming_ion}+ replacing {recipe.glass.host_ion}+ through a "
            f"{recipe.mask.opening * 1e6:.4g} µm opening, {len(recipe.steps)} step(s), "
            f"{recipe.total_time / 3600:.4g} h"
        )
        print(_channel_summary(result))
        w = result.work
        print(
            f"solver: {result.grid.n_depth} × {result.grid.n_lateral} cells, {w['steps']} steps "
            f"({w['rejected']} rejected), {w['wall_time_s']:.2f} s"
        )
        if result.mode_note:
            print(f"modes: {result.mode_note}")
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _channel_summary(result) -> str:
    """Per output time: uptake, peak χ, the depth and width of the χ = 0.1 contour; the
    final stress extremes and guided modes."""
    import numpy as np

    from .process.channel import contour_extent

    lines = [
        f"{'time (h)':>9} {'uptake (µmol/m)':>16} {'max χ':>7} {'depth χ=0.1 (µm)':>17} {'width χ=0.1 (µm)':>17}"
    ]
    x, y = result.depth, result.lateral
    for t, chi, up in zip(result.times, result.fractions, result.uptake):
        extent = contour_extent(x, y, chi, 0.1)
        depth, width = (f"{v * 1e6:.3g}" if np.isfinite(v) else "—" for v in extent)
        lines.append(f"{t / 3600:9.4g} {up * 1e6:16.4g} {chi.max():7.3g} {depth:>17} {width:>17}")
    if result.stress is not None:
        s = result.stress
        lines.append(
            f"stress: σ_zz from {s.sigma_zz.min() / 1e6:.4g} to {s.sigma_zz.max() / 1e6:.4g} MPa, "
            f"σ_yy from {s.sigma_yy.min() / 1e6:.4g} to {s.sigma_yy.max() / 1e6:.4g} MPa"
        )
    if result.modes is not None:
        for pol in ("TE", "TM"):
            n = result.modes.effective_indices(pol, guided_only=True)
            shown = ", ".join(f"{v:.6f}" for v in n)
            lines.append(f"guided quasi-{pol} modes: {n.size} (N = {shown})")
    return "\n".join(lines)


def _write_multicomponent(result, out: Path, args, outputs) -> int:
    """Outputs and summary of a multicomponent run: profiles.csv, result.nc, profiles.png;
    per step the surface fractions and the depths where each ion's fraction is halfway
    between its surface and its bulk value."""
    import numpy as np

    from .io.plots import plot_multicomponent
    from .io.writers import write_multicomponent_csv, write_netcdf_dataset

    try:
        with outputs:
            written = [write_multicomponent_csv(result, out / "profiles.csv")]
            written.append(write_netcdf_dataset(result.to_dataset(), out / "result.nc"))
            if not args.no_plot:
                written.append(plot_multicomponent(result, out / "profiles.png"))
            strength = _run_strength(result, out, args)
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        recipe = result.recipe
        ions = result.species
        print(
            f"{recipe.name}: multicomponent exchange of {', '.join(ions)}, "
            f"{len(recipe.steps)} step(s), {recipe.total_time / 3600:.4g} h"
        )
        print(
            f"{'step':<20} {'end (h)':>8}  per ion: surface fraction; depth (µm) to which it "
            "differs from the bulk by > 0.01"
        )
        steps = np.asarray(result.step_index)
        half = result.depth <= (
            recipe.glass.thickness / 2 if recipe.glass.faces == "both" else result.depth[-1]
        )
        x = result.depth[half]
        for k in sorted(set(steps.tolist())):
            i = int(np.nonzero(steps == k)[0][-1])
            parts = []
            for ion in ions:
                frac = result.fraction(ion)[i][half]
                changed = np.nonzero(np.abs(frac - frac[-1]) > 0.01)[0]
                reach = f"{x[changed[-1]] * 1e6:.3g}" if changed.size else "—"
                parts.append(f"{ion} {frac[0]:.3f}; {reach}")
            name = recipe.steps[k].name
            print(f"{name[:20]:<20} {result.times[i] / 3600:>8.4g}  " + " | ".join(parts))
        if result.metrics is not None:
            print(
                f"{'step':<20} {'CS (MPa)':>9} {'DOC (µm)':>9} {'CT (MPa)':>9} "
                f"{'knee (µm)':>10} {'CS knee (MPa)':>14} {'W_t (J/m²)':>11}"
            )
            for k in sorted(set(steps.tolist())):
                m = result.metrics[int(np.nonzero(steps == k)[0][-1])]
                print(
                    f"{recipe.steps[k].name[:20]:<20} {m.compressive_stress / 1e6:>9.4g} "
                    f"{m.depth_of_compression * 1e6:>9.4g} {m.central_tension / 1e6:>9.4g} "
                    f"{m.knee_depth * 1e6:>10.4g} {m.knee_compressive_stress / 1e6:>14.4g} "
                    f"{m.tensile_energy:>11.4g}"
                )
        d = result.diagnostics
        print(
            f"solver: {d['cells']} cells, {d['steps']} steps ({d['rejected']} rejected), "
            f"{d['wall_time_s'] * 1e3:.0f} ms"
        )
        print("wrote " + ", ".join(str(p) for p in written))
        _print_run_strength(*strength)
    return 0


def _write_experiment(result, out: Path, args, outputs, sims=None, resolution=None) -> int:
    """Outputs and summary of a Nernst–Planck–Poisson run (``sims``: a SimsProfile to overlay;
    ``resolution``: its depth resolution, to overlay the final profiles as it measures them
    and write them to profiles_convolved.csv)."""
    import numpy as np

    from .io.plots import plot_experiment
    from .io.writers import write_columns, write_experiment_csvs, write_netcdf_dataset
    from .units import shown_in

    measured = None
    if sims is not None and resolution is not None:
        depth, fractions = _as_measured(result, sims, resolution)
        label = f"Gaussian roughness σ = {float(shown_in(resolution.roughness, 'nm')):.4g} nm"
        measured = (depth, fractions, label)
    try:
        with outputs:
            written = write_experiment_csvs(result, out)
            written.append(write_netcdf_dataset(result.to_dataset(), out / "result.nc"))
            if measured is not None:
                written.append(
                    write_columns(
                        out / "profiles_convolved.csv",
                        ["depth_m", *(f"frac_{name}" for name in fractions)],
                        [depth, *fractions.values()],
                    )
                )
            if not args.no_plot:
                written.append(
                    plot_experiment(result, out / "profiles.png", sims, as_measured=measured)
                )
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        recipe = result.recipe
        print(
            f"{recipe.name}: Nernst–Planck–Poisson, {len(result.steps)} step(s), species {', '.join(result.species)}"
        )
        print(
            f"{'step':<24} {'end (h)':>9} {'charge (mC)':>12} {'φ surface (V)':>14}  depth where a native fraction is 0.5 (nm)"
        )
        for end in result.step_ends:
            k = int(np.argmin(np.abs(np.asarray(result.times) - end.end_time)))
            depths = []
            for name in result.species:
                frac = result.fraction(name)[k]
                if frac[-1] > 0.5 and frac[0] < 0.5:  # a native species depleted at the surface
                    i = int(np.nonzero(frac >= 0.5)[0][0])
                    depths.append(f"{name} {result.depth[i] * 1e9:.1f}")
            print(
                f"{end.name[:24]:<24} {end.end_time / 3600:>9.4g} {end.back_charge * 1e3:>12.4g} {end.surface_potential:>14.4g}  {', '.join(depths) or '—'}"
            )
        print("wrote " + ", ".join(str(p) for p in written))
    if "warning" in result.diagnostics:
        print(f"warning: {result.diagnostics['warning']}", file=sys.stderr)
    return 0


def _run_logged(recipe, args, summary, earlier=()):
    """``ionex run --temperature-log``: the monitored bath step over the whole log, on the
    monitor's mesh and with the log policy of ``ionex run`` (strict; with --lenient the
    monitor's cleaning, so that the two agree) — the batch reference. The recipe's output
    times within the log are kept. Warnings go through ``summary`` (after ``earlier``)."""
    from .io.furnace_log import read_log_file
    from .process.monitor import simulate_logged_process

    times, temps, warnings = read_log_file(
        args.temperature_log,
        lenient=args.lenient,
        gap_limit=_time_option(args.gap_limit or "10 min", "--gap-limit"),
        limits=_log_limits(args),
    )
    late = [t for t in recipe.output_times if t > times[-1] * (1 + 1e-12)]
    if not args.quiet:  # the first of each kind, each drop-out and gap, then how many more
        for w in summary.extend([*earlier, *warnings]):
            print(f"warning: {w}", file=sys.stderr)
        for line in summary.repeated():
            print(f"warning: {line}", file=sys.stderr)
        if late:
            print(
                f"warning: {args.temperature_log} ends at {times[-1] / 3600:.6g} h; the [output] times after it "
                f"({', '.join(f'{t / 3600:.6g}' for t in late)} h) are left out",
                file=sys.stderr,
            )
    if times.size < 2:
        raise IonexError(
            f"{args.temperature_log}: found {times.size} usable sample(s); expected at least 2"
        )
    try:
        return simulate_logged_process(
            recipe, times, temps, tracker=ProgressBar(enabled=not args.quiet)
        )
    except ValueError as exc:
        raise IonexError(f"{args.recipe}: {exc}") from None


def _log_limits(args):
    """The plausible temperatures of a furnace log from --log-range and --max-rate."""
    from .io.furnace_log import LogLimits

    low, sep, high = args.log_range.partition("..")
    if not sep:
        raise IonexError(
            f"--log-range: found {args.log_range!r}; expected two temperatures joined by '..', "
            'e.g. "-50 degC..1500 degC"'
        )
    return LogLimits(
        _quantity(low.strip(), "temperature", "--log-range (lower)"),
        _quantity(high.strip(), "temperature", "--log-range (upper)"),
        _quantity(args.max_rate, "temperature_rate", "--max-rate"),
    )


def _monitor(args) -> int:
    from .dashboard.follow import MonitorLoop, check_poll
    from .io.furnace_log import EVENT_KINDS, WarningSummary
    from .io.recipe import load_recipe

    plan_warnings: list = []
    try:
        recipe = load_recipe(
            args.recipe, lenient_logs=True, warnings=plan_warnings
        )  # the monitor is lenient
    except IonexError:
        _refuse_multicomponent_target(args.recipe)
        raise
    from .process.multicomponent import MulticomponentRecipe

    if isinstance(recipe, MulticomponentRecipe):
        return _monitor_multicomponent(args, recipe, plan_warnings)
    out = _output_dir(args.output)
    # the result files are checked now; they are written later, again and again, as one set
    from .io.output_set import MONITOR_STATE

    outputs = _output_set(
        args,
        "monitor",
        out,
        [args.recipe, args.temperature_log],
        ["profiles.csv", "result.nc"] + ([] if args.no_plot else ["profiles.png"]),
    )
    with outputs.locked():  # a killed monitor's temporaries, its checkpoint's too
        outputs.remove_stale_temporaries(MONITOR_STATE)
    gap = _time_option(args.gap_limit, "--gap-limit")
    poll = check_poll(_quantity(args.poll, "time", "--poll"))
    limits = _log_limits(args)
    idle = (
        _time_option(args.exit_after_idle, "--exit-after-idle")
        if args.exit_after_idle
        else math.inf
    )
    write_every = _time_option(
        args.write_every, "--write-every", 1.0, " (each write redraws the figures)"
    )
    page = holder = None
    if args.serve:
        from .dashboard.server import LivePage, StateHolder

        holder = StateHolder()
        page = LivePage(holder, args.host, args.port).start()
        print(f"live page: {page.url}  (JSON: {page.url}state.json)", flush=True)
        if page.exposed:  # said even with -q: it is about who can read the process
            print(
                f"warning: --host {args.host}: the live page is reachable from the network, by anyone who can "
                "reach this machine (127.0.0.1 keeps it local)",
                file=sys.stderr,
                flush=True,
            )

    def warn(text):
        # called for the first warning of each kind and for every drop-out and gap; the
        # repeats are counted (state.json, the page, and the summary printed at the end)
        if not args.quiet:
            more = (
                ""
                if getattr(text, "kind", None) in EVENT_KINDS
                else " (repeats of this kind are counted)"
            )
            print(f"warning: {text}{more}", file=sys.stderr, flush=True)

    for w in WarningSummary().extend(plan_warnings):  # a plan with a log = "…" (lenient too)
        warn(w)

    def show(data):
        if holder is not None:
            holder.publish(data)
        if not args.quiet and args.follow:
            print(_monitor_line(data), flush=True)

    def notice(text):
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    if args.resume and args.restart:
        raise IonexError(
            "--resume and --restart: found both; expected at most one (continue the checkpoint, or "
            "move it aside and start over)"
        )
    try:
        loop = MonitorLoop(
            recipe,
            args.temperature_log,
            out,
            gap_limit=gap,
            publish=show,
            on_warning=warn,
            tracker=ProgressBar(enabled=not args.quiet),
            write_every=write_every,
            plots=not args.no_plot,
            force=args.force,
            limits=limits,
            on_notice=notice,
            resume=args.resume,
            restart=args.restart,
        )
    except IonexError:
        raise
    except ValueError as exc:
        raise IonexError(f"{args.recipe}: {exc}") from None
    if loop.resumed and not args.quiet:
        print(
            f"resuming from {out / 'monitor_checkpoint.npz'} at {loop.monitor.time / 3600:.4g} h",
            flush=True,
        )
    try:
        data = loop.run(follow=args.follow, poll=poll, stop_after_idle=idle)
    except KeyboardInterrupt:
        data = None
        if not args.quiet:
            print(
                "stopped; the checkpoint and the result files hold everything processed",
                file=sys.stderr,
            )
    finally:
        if page is not None:
            page.stop()
    if not args.quiet:
        for line in loop.warnings.repeated():
            print(f"warning: {line}", file=sys.stderr)
    if data is not None and not args.quiet and not args.follow:
        print(_monitor_line(data))
    if not args.quiet:
        files = [out / "state.json", out / "monitor_checkpoint.npz", *loop.written]
        print("wrote " + ", ".join(str(p) for p in files))
    return 0


def _refuse_multicomponent_target(path) -> None:
    """A multicomponent recipe with a [target]: one line saying why, instead of the reader's
    "unknown key" (the recipe is read before the monitor knows what it follows)."""
    import tomllib

    from .io.multicomponent_recipe import is_multicomponent

    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    if "target" in doc and is_multicomponent(doc):
        raise IonexError(
            f"{path}: [target]: the monitor predicts when a target is reached for binary "
            "interdiffusion recipes only; for a multicomponent recipe remove [target] (the "
            "snapshot gives CS, DOC and CT as they stand)"
        )


# options of `ionex monitor` that a multicomponent recipe does not have, and why
_MULTICOMPONENT_REFUSED = (
    ("serve", "--serve", "the live page shows binary interdiffusion recipes only"),
    ("resume", "--resume", "the multicomponent monitor keeps no checkpoint"),
    ("restart", "--restart", "the multicomponent monitor keeps no checkpoint"),
)


def _monitor_multicomponent(args, recipe, plan_warnings) -> int:
    """`ionex monitor` of a multicomponent recipe (ionex.process.multicomponent_monitor):
    the log read block by block and advanced in CHUNK pieces, as the binary monitor does;
    state.json after every update, profiles.csv, result.nc (and profiles.png) after the
    catch-up, at most every --write-every while following, and at the end. No checkpoint: a
    restarted monitor reads the log from its start again (the result is the same)."""
    import time as clock
    from datetime import datetime, timezone

    import numpy as np

    from .dashboard.follow import BLOCK, CHUNK, check_poll
    from .io.furnace_log import EVENT_KINDS, FurnaceLogReader, WarningSummary
    from .io.monitor_files import write_json_atomic
    from .io.output_set import MONITOR_STATE
    from .io.plots import plot_multicomponent
    from .io.writers import write_multicomponent_csv, write_netcdf_dataset
    from .process.multicomponent_monitor import MulticomponentMonitor

    for flag, option, why in _MULTICOMPONENT_REFUSED:
        if getattr(args, flag):
            raise IonexError(
                f"{option}: not available for the multicomponent recipe {args.recipe} ({why}); "
                "expected it without that option"
            )
    try:
        MulticomponentMonitor.check_plan(recipe)
    except ValueError as exc:
        raise IonexError(f"{args.recipe}: {exc}") from None
    out = _output_dir(args.output)
    names = ["profiles.csv", "result.nc"] + ([] if args.no_plot else ["profiles.png"])
    outputs = _output_set(args, "monitor", out, [args.recipe, args.temperature_log], names)
    with outputs.locked():
        outputs.remove_stale_temporaries(MONITOR_STATE)
    gap = _time_option(args.gap_limit, "--gap-limit")
    poll = check_poll(_quantity(args.poll, "time", "--poll"))
    limits = _log_limits(args)
    idle = (
        _time_option(args.exit_after_idle, "--exit-after-idle")
        if args.exit_after_idle
        else math.inf
    )
    write_every = _time_option(args.write_every, "--write-every", 1.0)
    summary = WarningSummary()

    def warn(texts):
        for text in texts:
            if summary.add(text) and not args.quiet:
                more = (
                    ""
                    if getattr(text, "kind", None) in EVENT_KINDS
                    else " (repeats of this kind are counted)"
                )
                print(f"warning: {text}{more}", file=sys.stderr, flush=True)

    warn(plan_warnings)
    try:
        monitor = MulticomponentMonitor(recipe)
    except ValueError as exc:
        raise IonexError(f"{args.recipe}: {exc}") from None
    reader = FurnaceLogReader(args.temperature_log, gap_limit=gap, limits=limits)
    log = Path(args.temperature_log)
    written: list[Path] = []

    def step() -> int:
        taken = 0
        while True:
            times, temps, warnings = reader.read(max_bytes=BLOCK)
            warn(warnings)
            start = 0
            while start < times.size:
                stop = int(np.searchsorted(times, times[start] + CHUNK, side="right"))
                monitor.advance(times[start:stop], temps[start:stop])
                start = stop
            taken += int(times.size)
            if not reader.more:
                return taken

    def update(status: str, results: bool) -> dict:
        data = monitor.snapshot().to_dict()
        data.update(
            status=status,
            log=str(log),
            updated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            warnings=summary.to_list(),
            n_warnings=summary.total,
        )
        write_json_atomic(out / "state.json", data)
        if results and monitor.n_samples >= 2:
            try:
                result = monitor.result()
                with outputs:
                    files = [write_multicomponent_csv(result, out / "profiles.csv")]
                    files.append(write_netcdf_dataset(monitor.dataset(result), out / "result.nc"))
                    if not args.no_plot:
                        files.append(plot_multicomponent(result, out / "profiles.png"))
            except OSError as exc:
                raise IonexError(
                    f"{exc.filename or out}: cannot write output ({exc.strerror})"
                ) from None
            written[:] = files
        return data

    try:
        step()
        if monitor.n_samples < 2 and not args.follow:
            what = (
                "no such file"
                if not log.exists()
                else "no samples in the log"
                if monitor.n_samples == 0
                else "found 1 sample in the log"
            )
            raise IonexError(
                f"{log}: {what}; expected a header such as time_s,temperature_C and at least 2 "
                "samples (with --follow the monitor waits for them)"
            )
        data = update("following" if args.follow else "done", True)
        if args.follow:
            last_write = idle_since = clock.monotonic()
            stale = False
            while True:
                clock.sleep(poll)
                if step():
                    idle_since = clock.monotonic()
                    stale = True
                    due = clock.monotonic() - last_write >= write_every
                    data = update("following", due)
                    if due:
                        last_write, stale = clock.monotonic(), False
                    if not args.quiet:
                        print(_multicomponent_monitor_line(data), flush=True)
                elif clock.monotonic() - idle_since > idle:
                    break
            data = update("stopped", stale or not written)
    except KeyboardInterrupt:
        data = update("stopped", True)
        if not args.quiet:
            print("stopped; the result files hold everything processed", file=sys.stderr)
    shift = _salt_temperature_shift(data)
    if shift:
        print(f"warning: {shift}", file=sys.stderr)
    if not args.quiet:
        for line in summary.repeated():
            print(f"warning: {line}", file=sys.stderr)
        print(_multicomponent_monitor_line(data))
        print("wrote " + ", ".join(str(p) for p in [out / "state.json", *written]))
    return 0


# a salt's surface fractions are held at the plan's temperature; warn when the last logged
# temperature would make the salt hold fractions that differ by more than this
SALT_SURFACE_SHIFT_WARNING = 0.005


def _salt_temperature_shift(d) -> str:
    """The warning that the monitored salt holds its surface fractions at the plan's
    temperature while the furnace ran elsewhere ("" when the shift is below the limit)."""
    bath = d.get("bath")
    if not bath or d.get("temperature_C") is None:
        return ""
    held, logged = bath["surface"], bath["surface_at_logged_temperature"]
    shift = max(abs(logged.get(ion, 0.0) - x) for ion, x in held.items())
    if shift <= SALT_SURFACE_SHIFT_WARNING:
        return ""
    ions = ", ".join(f"{ion} {logged.get(ion, 0.0):.3f} (held {x:.3f})" for ion, x in held.items())
    return (
        f"the salt's surface fractions are held at the plan's "
        f"{bath['plan_temperature_C']:.1f} °C; at the last logged {d['temperature_C']:.1f} °C "
        f"the salt would hold {ions}: the exchange is uncertain by up to {shift:.3f} in "
        "surface fraction (plan the step at the furnace's temperature)"
    )


def _multicomponent_monitor_line(d) -> str:
    """One line of a multicomponent monitor's state (``MulticomponentSnapshot.to_dict``)."""
    f = _shown
    parts = _monitor_head(d) + [
        "surface " + " ".join(f"{ion} {x:.3f}" for ion, x in d["surface"].items())
    ]
    if d.get("compressive_stress_MPa") is not None:
        parts.append(
            f"CS = {d['compressive_stress_MPa']:.1f} MPa, DOC = "
            f"{f(d.get('depth_of_compression_um'), '.2f')} µm, CT = "
            f"{f(d.get('central_tension_MPa'), '.1f')} MPa"
        )
    parts.append(
        "uptake " + " ".join(f"{ion} {v:+.3g}" for ion, v in d["uptake_mol_m2"].items()) + " mol/m²"
    )
    bath = d.get("bath")
    if bath:
        aged = "aged " if bath.get("loads_before") else ""
        minor = [f"{c} {v:.0f}" for c, v in bath["melt_ppm"].items() if v < 1e5]
        if minor:  # the salt's minor cations; its major one is the rest
            parts.append(f"{aged}salt {', '.join(minor)} ppm")
        if bath.get("released_this_load_mol") is not None:
            parts.append(
                "this load gives the salt "
                + " ".join(f"{c} {v:+.3g}" for c, v in bath["released_this_load_mol"].items())
                + " mol"
            )
    return "; ".join(parts)


def _shown(x, fmt) -> str:
    """A monitor's figure as text, "–" when it is not known yet."""
    return "–" if x is None else format(x, fmt)


def _monitor_head(d) -> list:
    """The time, temperature and sample count that begin every monitor line."""
    return [
        f"t = {_shown(d.get('time_h'), '.4g')} h",
        f"T = {_shown(d.get('temperature_C'), '.2f')} °C",
        f"{d.get('n_samples', 0)} samples",
    ]


def _monitor_line(d) -> str:
    f = _shown
    parts = _monitor_head(d)
    if d.get("compressive_stress_MPa") is not None:
        parts.append(
            f"CS = {d['compressive_stress_MPa']:.1f} MPa, DOL = {f(d.get('depth_of_layer_um'), '.2f')} µm"
        )
    if d.get("modes"):
        parts.append(f"modes TE/TM = {d['modes']['TE']}/{d['modes']['TM']}")
    p = d.get("prediction")
    if p:
        target = f"{p['target']} {p['value']:g}{(' ' + p['unit']) if p['unit'] else ''}"
        if p["reached"]:
            parts.append(f"{target} reached at {p['time_h']:.4g} h")
        elif p["time_h"] is None:
            parts.append(
                f"{target} not within {p['horizon_h']:.4g} h at {p['assumed_temperature_C']:.1f} °C"
            )
        else:
            parts.append(f"{target} at {p['time_h']:.4g} h (in {p['remaining_h']:.3g} h)")
    return "; ".join(parts)


def _furnace_demo(args) -> int:
    from .io.furnace_demo import write_demo_log

    if args.instant and args.speed is not None:
        raise IonexError(
            f"--speed {args.speed}: found with --instant, which writes the log at once; expected one of "
            "the two"
        )
    text = "3600" if args.speed is None else args.speed
    try:
        speed = math.inf if args.instant else float(text)
    except ValueError:
        speed = math.nan
    if not (speed > 0 and speed != math.inf or args.instant):
        raise IonexError(f"--speed: found {text!r}; expected a finite factor > 0, e.g. 3600")
    duration = _quantity(args.duration, "time", "--duration")
    interval = _quantity(args.interval, "time", "--interval")
    setpoint = _quantity(args.setpoint, "temperature", "--setpoint")
    if not duration > 0:
        raise IonexError(f"--duration: found {args.duration!r}; expected a time > 0")
    if not 0 < interval < duration:
        raise IonexError(
            f"--interval: found {args.interval!r}; expected a time > 0 and shorter than --duration "
            f"({args.duration})"
        )
    if not setpoint > 0:
        raise IonexError(
            f"--setpoint: found {args.setpoint!r}, below absolute zero; expected a bath temperature, "
            'e.g. "400 degC"'
        )
    if not args.quiet:
        pace = "at once" if math.isinf(speed) else f"{speed:g}× faster than real time"
        print(
            f"writing {args.log} {pace}: {duration / 3600:.4g} h every {interval:g} s", flush=True
        )
    try:
        n = write_demo_log(
            args.log,
            duration=duration,
            interval=interval,
            setpoint=setpoint,
            speed=speed,
            seed=args.seed,
            echo=None if args.quiet else (lambda s: print(s, flush=True)),
        )
    except OSError as exc:
        raise IonexError(f"{args.log}: cannot write the log ({exc.strerror})") from None
    if not args.quiet:
        print(f"wrote {n} samples to {args.log}")
    return 0


def _fit(args) -> int:
    """``ionex fit FIT.toml -o DIR``: fit, print the table, write the report, fit.json,
    fit.png and fitted_recipe.toml; warnings about the parameters go to stderr."""
    from contextlib import nullcontext

    from .io.fit_file import load_fit
    from .io.fit_report import format_summary, write_fit_outputs
    from .process.cluster import AutoCluster, ClusterError, open_client
    from .process.fitting import fit

    setup = load_fit(args.fit_file)
    if args.serial and (args.scheduler or args.workers is not None):
        raise IonexError("--serial runs without a cluster; drop --scheduler and --workers")
    if args.workers is not None and (args.workers < 1 or args.scheduler):
        raise IonexError(
            f"--workers: found {args.workers}{' with --scheduler' if args.scheduler else ''}; expected "
            "the size of the local cluster, a number ≥ 1, without --scheduler"
        )
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "fit",
        out,
        [args.fit_file, *setup.files, *setup.recipes],
        ["fit_report.txt", "fit.json", "fitted_recipe.toml"]
        + ([] if args.no_plot else ["fit.png"]),
    )
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(
            total=None,
            unit="run",
            delay=1.0,
            file=sys.stderr,
            bar_format="fit: {n} forward runs [{elapsed}, {rate_fmt}]{postfix}",
        )

    def progress(runs: int, chisqr: float) -> None:
        if bar is not None:
            if math.isfinite(chisqr):
                bar.set_postfix_str(f"best χ² {chisqr:.6g}", refresh=False)
            bar.update(runs - bar.n)

    try:
        # --serial: no dask; --scheduler/--workers: that cluster; neither: serial until a
        # local cluster pays for itself (AutoCluster; small fits never start one)
        if args.serial:
            cluster = nullcontext(None)
        elif args.scheduler or args.workers is not None:
            cluster = open_client(args.scheduler, n_workers=args.workers)
        else:
            cluster = AutoCluster()
        with cluster as client:
            result = fit(
                setup.parameters,
                setup.datasets,
                options=setup.options,
                client=client,
                progress=progress,
            )
    except ClusterError as exc:
        raise IonexError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    try:
        with outputs:
            written = write_fit_outputs(setup, result, out, plot=not args.no_plot)
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        print(
            f"{setup.title}: {len(setup.datasets)} dataset(s), {result.n_params} parameter(s), "
            f"recipe {setup.document.path}"
        )
        print(format_summary(setup, result))
        for w in result.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _sweep(args) -> int:
    """``ionex sweep SWEEP.toml -o DIR``: every run on dask.distributed (or, --serial, in
    this process), one Dataset out."""
    import time
    from contextlib import nullcontext

    from .io.sweep_file import load_sweep, write_sweep_outputs
    from .process.cluster import ClusterError, open_client
    from .process.sweep import run_sweep

    if args.serial and (args.scheduler or args.workers is not None):
        raise IonexError("--serial runs without a cluster; drop --scheduler and --workers")
    if args.scheduler and args.workers is not None:
        raise IonexError(
            "--workers sizes the local cluster; with --scheduler the scheduler's workers run the sweep"
        )
    if args.workers is not None and args.workers < 1:
        raise IonexError(f"--workers: found {args.workers}; expected at least 1")
    spec = load_sweep(args.sweep)
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "sweep",
        out,
        [args.sweep, spec.recipe_path],
        ["sweep.nc", "sweep.csv"] + ([] if args.no_plot else ["sweep.png"]),
    )
    n = spec.sweep.n_runs
    from tqdm import tqdm

    bar = tqdm(total=n, unit="run", delay=1.0, file=sys.stderr, disable=args.quiet)
    try:
        with (
            nullcontext(None)
            if args.serial
            else open_client(args.scheduler, n_workers=args.workers)
        ) as client:
            workers = 1 if client is None else len(client.scheduler_info().get("workers", {}))
            started = time.perf_counter()  # the runs, not the cluster's start and stop
            ds = run_sweep(
                spec.sweep,
                client,
                batched=not args.unbatched,
                progress=lambda done, total: bar.update(done - bar.n),
            )
            elapsed = time.perf_counter() - started
            bar.close()
    except ClusterError as exc:
        raise IonexError(str(exc)) from None
    finally:
        bar.close()
    failed = int(ds.attrs["failed_runs"])
    if failed == n:
        raise IonexError(
            f"{args.sweep}: all {n} runs failed; the first: {ds['error'].values.ravel()[0]}"
        )
    try:
        with outputs:
            written = write_sweep_outputs(ds, out, spec, plot=not args.no_plot)
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if failed:
        first = next(e for e in ds["error"].values.ravel() if e)
        print(
            f"warning: {failed} of {n} runs failed (NaN in their metrics, message in 'error'); the first: {first}",
            file=sys.stderr,
        )
    if not args.quiet:
        where = (
            "serially in this process (no dask)"
            if args.serial
            else f"on {workers} worker(s) of {args.scheduler or 'a local dask cluster'}"
        )
        print(
            f"{n} runs of {spec.recipe_path.name} ({', '.join(spec.sweep.names)}) in {elapsed:.3g} s {where}, "
            f"{'each run simulated alone' if args.unbatched else 'batched'}: {n / elapsed:.3g} runs/s"
        )
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _strength(args) -> int:
    """``ionex strength RESULT_DIR|PROFILE.csv -o DIR``: retained strength against flaw
    depth, CT, stored energy and the frangibility verdicts; strength.csv, .json, .png."""
    from .io.strength_files import (
        read_profile_stress,
        read_result_stress,
        write_strength_outputs,
    )
    from .process.strength import Loading, StrengthOptions, assess_strength
    from .validators import FieldError

    source_path = Path(args.profile)
    if args.applied and args.bending:
        raise IonexError("--applied and --bending: give one (uniform tension or bending)")
    loading = Loading.BENDING if args.bending else Loading.UNIFORM
    applied = args.applied or args.bending
    values = {"loading": loading}
    if args.kic is not None:
        values.update(toughness=_quantity(args.kic, "toughness", "--kic"), toughness_given=True)
    if applied is not None:
        flag = "--bending" if args.bending else "--applied"
        values["applied_stress"] = _quantity(applied, "pressure", flag)
    for flag, key in (("--shallowest", "shallowest"), ("--deepest", "deepest")):
        text = getattr(args, key)
        if text is not None:
            values[key] = _quantity(text, "length", flag)
    flags = {
        "toughness": "--kic",
        "applied_stress": "--bending" if args.bending else "--applied",
        "shallowest": "--shallowest",
        "deepest": "--deepest",
        "points": "--points",
    }
    values["points"] = args.points
    try:
        options = StrengthOptions(**values)
    except FieldError as exc:
        raise IonexError(f"{flags.get(exc.field, exc.field)}: {exc.expected}; found {exc.found!r}")
    if source_path.is_dir():
        table_options = ("thickness", "youngs_modulus", "poisson_ratio")
        if not args.measured:
            table_options += ("compression",)
        for flag in table_options:
            if getattr(args, flag) is not None:
                raise IonexError(
                    f"--{flag.replace('_', '-')}: a result directory carries its recipe's "
                    "values; the option is for a stress profile table"
                )
        source = read_result_stress(source_path)
    else:
        if args.thickness is None:
            raise IonexError(
                f"{source_path}: a stress profile table needs the plate's --thickness "
                '(e.g. --thickness "0.8 mm")'
            )
        thickness = _quantity(args.thickness, "length", "--thickness")
        if not thickness > 0:
            raise IonexError(f"--thickness: found {args.thickness!r}; expected a thickness > 0")
        modulus = (
            None
            if args.youngs_modulus is None
            else _quantity(args.youngs_modulus, "pressure", "--youngs-modulus")
        )
        if (modulus is None) != (args.poisson_ratio is None):
            raise IonexError(
                "--youngs-modulus and --poisson-ratio: give both (the stored energy needs E and ν)"
            )
        try:
            source = read_profile_stress(
                source_path, thickness, args.compression, modulus, args.poisson_ratio
            )
        except FieldError as exc:
            raise IonexError(f"{exc.field}: {exc.expected}; found {exc.found!r}") from None
    measured, meter = _measured_stress(args, source)
    compare = bool(measured or meter) and not args.no_plot
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "strength",
        out,
        [source_path if source_path.is_file() else source_path / "result.nc"]
        + list(args.measured or [])
        + ([args.meter] if args.meter else []),
        ["strength.csv", "strength.json"]
        + ([] if args.no_plot else ["strength.png"])
        + (["stress_comparison.png"] if compare else []),
    )
    try:
        report = assess_strength(
            source.depth,
            source.stress,
            source.thickness,
            options,
            source.glass,
            spans_plate=source.spans_plate,
            kind=source.kind,
        )
    except FieldError as exc:
        where = flags.get(exc.field, exc.field)
        raise IonexError(f"{source_path}: {where}: found {exc.found!r}; {exc.expected}") from None
    for text in source.warnings:
        print(f"warning: {text}", file=sys.stderr)
    try:
        with outputs:
            written = write_strength_outputs(report, source, out, plot=not args.no_plot)
            if compare:
                from .io.plots import plot_stress_comparison

                written.append(
                    plot_stress_comparison(
                        source.depth, source.stress, measured, out / "stress_comparison.png", meter
                    )
                )
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        _print_strength(report, source)
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _measured_stress(args, source) -> tuple:
    """--measured profile tables (their sign by column, invert's stress.csv, or
    --compression) and a --meter file of surface-stress-meter readings, for the comparison
    plot; a force-balance warning for each measured profile that spans the plate."""
    from .io.stress_data import (
        force_balance_warning,
        read_stress_profile,
        read_surface_stress_meter,
    )

    measured = []
    for path in args.measured or []:
        profile = read_stress_profile(path, args.compression, thickness=source.thickness)
        text = force_balance_warning(profile)
        if text:
            print(f"warning: {text}", file=sys.stderr)
        measured.append(profile)
    meter = read_surface_stress_meter(args.meter) if args.meter else None
    return measured, meter


def _print_strength(report, source) -> None:
    """The terminal summary of a strength assessment."""
    import numpy as np

    from .io.strength_files import verdict_lines

    opts = report.options
    curve = report.retained
    given = "" if opts.toughness_given else " (default: soda-lime glass; --kic to set)"
    print(f"strength of {source.label}, plate {report.thickness * 1e3:.4g} mm")
    print(f"  K_Ic = {opts.toughness / 1e6:.4g} MPa·√m{given}; loading: {opts.loading.words}")
    doc = report.depth_of_compression
    line = f"  CS = {report.compressive_stress / 1e6:.4g} MPa"
    if doc is not None:
        line += f", DOC = {doc * 1e6:.4g} µm"
    if report.central_tension is not None:
        line += f", CT = {report.central_tension / 1e6:.4g} MPa"
        if report.central_tension_error is not None:
            line += f" ± {report.central_tension_error / 1e6:.2g}"
    if report.tensile_energy is not None:
        line += f", W_t = {report.tensile_energy:.4g} J/m²"
    print(line)
    if report.central_tension_note:
        print(f"  {report.central_tension_note}")
    i = int(np.argmin(curve.retained_strength))
    print(
        f"  weakest flaw: {curve.flaw_depth[i] * 1e6:.4g} µm, failure stress "
        f"{curve.retained_strength[i] / 1e6:.4g} MPa (annealed "
        f"{curve.annealed_strength[i] / 1e6:.4g} MPa)"
    )
    stronger = ", ".join(f"{a * 1e6:.4g}–{b * 1e6:.4g} µm" for a, b in curve.stronger_intervals)
    print(f"  stronger than annealed glass for flaws of {stronger or 'no depth assessed'}")
    if opts.applied_stress is not None:
        crit = report.critical_flaw_depth
        print(
            f"  at {opts.applied_stress / 1e6:.4g} MPa: "
            + (
                f"flaws of {crit * 1e6:.4g} µm and deeper break"
                if crit is not None
                else "no assessed flaw breaks"
            )
        )
    if report.frangibility:
        print("  frangibility:")
        for line in verdict_lines(report):
            print(line)
    else:
        print(f"  frangibility not assessed: {report.frangibility_note}")


def _arrhenius(args) -> int:
    """``ionex arrhenius TABLE.csv -o DIR``: D0 and Q with uncertainties; arrhenius.json, .png."""
    from .io.analysis_files import plot_arrhenius, read_arrhenius_table, write_arrhenius_json
    from .process.arrhenius_fit import fit_arrhenius
    from .units import registry

    data = read_arrhenius_table(args.table)
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "arrhenius",
        out,
        [args.table],
        ["arrhenius.json"] + ([] if args.no_plot else ["arrhenius.png"]),
    )
    try:
        fit = fit_arrhenius(
            data.temperature, data.coefficient, data.coefficient_err, method=args.method
        )
    except ValueError as exc:
        raise IonexError(f"{args.table}: {exc}") from None
    try:
        with outputs:
            written = [write_arrhenius_json(fit, out / "arrhenius.json", source=args.table)]
            if not args.no_plot:
                written.append(plot_arrhenius(fit, data, out / "arrhenius.png"))
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        ureg = registry()
        kj = lambda v: ureg.Quantity(v, "J/mol").to("kJ/mol").magnitude  # noqa: E731
        how = (
            "errors from D_err_m2_s"
            if fit.absolute_errors
            else "no D_err_m2_s: errors from the scatter"
        )
        method = "weighted nonlinear" if fit.method == "weighted" else "linearised ln D vs 1/T"
        t_ref_c = ureg.Quantity(fit.reference_temperature, "K").to("degC").magnitude
        print(f"Arrhenius fit of {args.table} ({method}, {fit.n_points} points, {how}):")
        print(
            f"  Q  = {kj(fit.activation_energy):.5g} ± {kj(fit.activation_energy_stderr):.2g} kJ/mol"
        )
        print(
            f"  D0 = {fit.prefactor:.4g} ± {fit.prefactor_stderr:.2g} m²/s  (σ of ln D0 = {fit.ln_prefactor_stderr:.3g}; "
            f"corr(ln D0, Q) = {fit.correlation:.4f})"
        )
        print(
            f"  D at {t_ref_c:.4g} °C = {fit.reference_coefficient:.4g} m²/s ± {100 * fit.reference_ln_stderr:.2g} % "
            f"(uncorrelated with Q)"
        )
        print(f"  reduced χ² = {fit.reduced_chi2:.3g}")
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _initial_fraction(args) -> float:
    """--initial-fraction: a site fraction, under the rule of every fraction column."""
    from .io.tables import FRACTION_RANGE

    value = args.initial_fraction
    if not (math.isfinite(value) and FRACTION_RANGE[0] <= value <= FRACTION_RANGE[1]):
        raise IonexError(
            f"--initial-fraction: found {value!r}; expected the site fraction of the incoming ion before "
            "the exchange, in [0, 1] (percent? divide by 100)"
        )
    return value


def _matano(args) -> int:
    """``ionex matano PROFILE.csv --time T -o DIR``: D̃(χ) by Boltzmann–Matano or Sauer–Freise;
    interdiffusion.csv (a recipe table), matano.csv, matano.png."""
    from .io.analysis_files import (
        plot_interdiffusion,
        read_fraction_profile,
        write_interdiffusion_tables,
    )
    from .process.matano import EXTRAPOLATE_ENDS, boltzmann_matano, sauer_freise

    time = _quantity(args.time, "time", "--time")
    if time <= 0:
        raise IonexError(
            f'--time: found {args.time!r}; expected the exchange duration > 0, e.g. "8 h"'
        )
    smoothing = args.smoothing.strip().lower()
    if smoothing == "gcv":
        lam = None
    elif smoothing == "none":
        lam = 0.0
    else:
        try:
            lam = float(smoothing)
        except ValueError:
            lam = -1.0
        if not (math.isfinite(lam) and lam >= 0):
            raise IonexError(
                f"--smoothing: found {args.smoothing!r}; expected gcv, none or a number λ ≥ 0"
            )
    profile = read_fraction_profile(args.profile, column=args.column, time=time)
    out = _output_dir(args.output)
    outputs = _output_set(
        args,
        "matano",
        out,
        [args.profile],
        ["interdiffusion.csv", "matano.csv"] + ([] if args.no_plot else ["matano.png"]),
    )
    analyse = boltzmann_matano if args.method == "matano" else sauer_freise
    try:
        est = analyse(
            profile.depth,
            profile.fraction,
            time,
            initial_fraction=_initial_fraction(args),
            smoothing=lam,
        )
    except ValueError as exc:
        raise IonexError(f"{args.profile}: {exc}") from None
    try:
        with outputs:
            written = write_interdiffusion_tables(est, out, profile.column)
            if not args.no_plot:
                written.append(plot_interdiffusion(est, profile, out / "matano.png"))
    except ValueError as exc:
        raise IonexError(f"{args.profile}: {exc}") from None
    except OSError as exc:
        raise IonexError(f"{exc.filename or out}: cannot write output ({exc.strerror})") from None
    if not args.quiet:
        lo, hi = est.reliable_range
        col = profile.column
        print(
            f"{est.method} of {args.profile} ({col}, {profile.depth.size} points), t = {args.time}"
        )
        print(
            f"smoothing λ = {est.smoothing:.3g} ({'GCV' if lam is None else 'given'}), noise ≈ {est.noise:.2g} in {col}; "
            f"reliable for {col} = {lo:.3g} … {hi:.3g}"
        )
        print(f"{col:>10}  {'D̃ (m²/s)':>11}  {'± (m²/s)':>9}")
        for k in range(est.fraction.size):
            q = (est.fraction[k] - est.initial_fraction) / (est.top_fraction - est.initial_fraction)
            if abs(q * 10 - round(q * 10)) < 1e-6:  # every tenth of the exchange
                flag = "" if est.reliable[k] else "  (unreliable)"
                print(
                    f"{est.fraction[k]:>10.3g}  {est.coefficient[k]:>11.4g}  {est.coefficient_stderr[k]:>9.2g}{flag}"
                )
        print(
            "wrote "
            + ", ".join(str(p) for p in written)
            + f"  ({written[0].name}: [model] interdiffusion_table)"
        )
    table, _, _ = est.table_points()
    amp = est.top_fraction - est.initial_fraction
    short = (
        table[0] - est.initial_fraction > EXTRAPOLATE_ENDS * amp
        or min(est.top_fraction, 1.0) - table[-1] > EXTRAPOLATE_ENDS * amp
    )
    if short and not args.quiet:
        print(
            f"warning: the recipe table covers {table[0]:.3g} … {table[-1]:.3g} of {est.initial_fraction:.3g} … "
            f"{est.top_fraction:.3g}; a recipe holds D̃ constant beyond (noise or sampling cut the reliable range)",
            file=sys.stderr,
        )
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of ionex (the
    usage is one ``--help`` away)."""

    def error(self, message):
        self.exit(2, f"ionex: error: {self.prog}: {message}; see `{self.prog} --help`\n")


def _add_log_limit_options(p) -> None:
    p.add_argument(
        "--log-range",
        default="-50 degC..1500 degC",
        help="plausible temperatures of temperature logs "
        '(--temperature-log, a recipe\'s log = "…"); '
        'a sample outside is a fault of the logger ("-50 degC..1500 degC")',
    )
    p.add_argument(
        "--max-rate",
        default="50 K/min",
        help="fastest plausible change of the logged temperature "
        '(plus 5 K of noise) between two samples ("50 K/min")',
    )


def _port(text: str) -> int:
    """--port: a TCP port number, 0 for any free one."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"found {text!r}; expected a port number 0–65535 (0: any free port)"
        )
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ionex", description="Simulate and measure ion exchange in glass.")
    parser.add_argument("--version", action="version", version=f"ionex {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="simulate a recipe and write profiles.csv, result.nc and profiles.png"
    )
    run.add_argument("recipe", help="recipe file (TOML)")
    run.add_argument("-o", "--output", required=True, help="output directory (created if missing)")
    run.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--no-plot", action="store_true", help="skip profiles.png")
    run.add_argument(
        "--sims", help="a ToF-SIMS depth profile (CSV) to overlay on an NPP run's plot"
    )
    run.add_argument(
        "--crater-depth", help='crater depth of the SIMS profile with unit, e.g. "120 nm"'
    )
    run.add_argument(
        "--roughness",
        help='with --sims: rms roughness of the crater bottom with unit, e.g. "20 nm"; overlay '
        "the final profiles convolved with that Gaussian and write profiles_convolved.csv",
    )
    run.add_argument(
        "--temperature-log",
        help="run the recipe's bath step over this furnace log, as the monitor does",
    )
    run.add_argument(
        "--gap-limit", help='with --temperature-log: warn about longer gaps (default "10 min")'
    )
    run.add_argument(
        "--lenient",
        action="store_true",
        help="skip bad lines of temperature logs (--temperature-log "
        'and a recipe\'s log = "…") with a warning, as the monitor does; default: the first bad line '
        "is an error",
    )
    _add_log_limit_options(run)
    run.set_defaults(handler=_run)

    modes = sub.add_parser("modes", help="guided TE/TM modes of an index profile; writes modes.csv")
    modes.add_argument(
        "profile",
        help="CSV: profiles.csv of `ionex run`, profile.csv of `ionex invert`, or a table "
        "with depth_m|depth_um|depth_nm and n, n_TE/n_TM (or frac_<Ion> with --material)",
    )
    modes.add_argument(
        "--wavelength",
        help='vacuum wavelength with unit, e.g. "677 nm" (default with --material: the preset\'s)',
    )
    modes.add_argument(
        "--time",
        help='which profile of a file holding several times, e.g. "91 h" (default: the last)',
    )
    modes.add_argument(
        "--material", help="preset (BK7) turning a fraction column (and stress_Pa) into n_TE/n_TM"
    )
    modes.add_argument(
        "--column", help="the fraction column when the file has several (default: the first)"
    )
    modes.add_argument(
        "--substrate-index",
        type=float,
        help="index beyond the deepest point (default: the index "
        "there, where the profile must have flattened)",
    )
    modes.add_argument("--cover", type=float, default=1.0, help="cover index (default 1.0, air)")
    _add_prism_options(modes)
    modes.add_argument("-o", "--output", required=True, help="output directory")
    modes.add_argument("-q", "--quiet", action="store_true")
    modes.set_defaults(handler=_modes)

    modes2d = sub.add_parser(
        "modes2d",
        help="guided quasi-TE/TM modes of a channel run (a recipe with [mask] and [optics]); "
        "writes modes.csv and modes.png",
    )
    modes2d.add_argument("result", help="the output directory of `ionex run` of a channel recipe")
    modes2d.add_argument(
        "--wavelength", help='vacuum wavelength with unit, e.g. "1550 nm" (default: the run\'s)'
    )
    modes2d.add_argument(
        "--modes", type=int, default=4, help="modes per polarisation to compute (default 4)"
    )
    modes2d.add_argument(
        "--scalar", action="store_true", help="also the scalar modes (stress-free average index)"
    )
    modes2d.add_argument("-o", "--output", required=True, help="output directory")
    modes2d.add_argument("--no-plot", action="store_true", help="skip modes.png")
    modes2d.add_argument("-q", "--quiet", action="store_true")
    modes2d.set_defaults(handler=_modes2d)

    for name in ("invert", "iwkb"):
        alias = name == "iwkb"
        inv = sub.add_parser(
            name,
            help="index profile from mode indices by inverse WKB (= invert --method iwkb)"
            if alias
            else "index profiles and stress from mode indices: a profile model fitted "
            "through the exact mode solver (default) or inverse WKB; writes profile.csv, stress.csv, "
            "inversion.json and inversion.png",
        )
        inv.add_argument(
            "modes",
            help="CSV with polarisation, order, effective_index (or synchronous_angle_deg "
            "with a prism)",
        )
        if not alias:
            inv.add_argument(
                "--method",
                choices=("model", "iwkb"),
                default="model",
                help="model: a monotone profile family fitted to the modes through the exact mode "
                "solver, with uncertainties (default); iwkb: inverse WKB",
            )
            inv.add_argument(
                "--family",
                default="auto",
                help="the profile family of the model: auto (default, "
                "chosen by AICc) or one family by name (an unknown name lists them)",
            )
            inv.add_argument(
                "--index-sigma",
                type=float,
                help="standard deviation of each measured index (e.g. "
                "2e-5); without it the uncertainties come from the scatter of the fit",
            )
            inv.add_argument(
                "--substrate-index",
                type=float,
                help="the substrate index the modes see (default: fitted per polarisation)",
            )
        else:
            inv.set_defaults(method="iwkb")
            # accepted only to be refused with the reason (inverse WKB has no family, weights or substrate)
            inv.add_argument("--family", default="auto", help=argparse.SUPPRESS)
            inv.add_argument("--index-sigma", type=float, help=argparse.SUPPRESS)
            inv.add_argument("--substrate-index", type=float, help=argparse.SUPPRESS)
        inv.add_argument(
            "--wavelength",
            help='vacuum wavelength with unit, e.g. "677 nm" (default with --material: '
            "the preset's)",
        )
        inv.add_argument(
            "--material",
            help="preset (BK7) for C∥, C⊥: with TE and TM lists, also writes stress.csv",
        )
        inv.add_argument("--c-parallel", help='C∥ with unit, e.g. "-0.5e-12 1/Pa"')
        inv.add_argument("--c-perp", help='C⊥ with unit, e.g. "-3.3e-12 1/Pa"')
        inv.add_argument(
            "--polarisation",
            choices=("TE", "TM"),
            help="of a list without a polarisation column; "
            "or the one polarisation to use from a list with both",
        )
        inv.add_argument(
            "--surface-index", help="inverse WKB only: chiang (default), smooth, or a value"
        )
        inv.add_argument("--cover", type=float, default=1.0, help="cover index (default 1.0, air)")
        _add_prism_options(inv)
        inv.add_argument("-o", "--output", required=True, help="output directory")
        inv.add_argument("--no-plot", action="store_true", help="skip inversion.png")
        inv.add_argument("-q", "--quiet", action="store_true")
        inv.set_defaults(handler=_invert)

    fitp = sub.add_parser(
        "fit",
        help="fit recipe parameters to measured datasets (profiles, index profiles, modes, "
        "surface stress); writes fit_report.txt, fit.json, fit.png, fitted_recipe.toml",
    )
    fitp.add_argument(
        "fit_file", help="fit file (TOML): recipe, [[parameter]] and [[dataset]] tables"
    )
    fitp.add_argument("-o", "--output", required=True, help="output directory (created if missing)")
    fitp.add_argument(
        "--scheduler",
        help="run the forward runs on the dask scheduler at this address "
        "(tcp://host:8786). Default (none of --scheduler, --workers, --serial): serially in this "
        "process, switching to a local dask cluster only once it pays for itself; the report says "
        "which was chosen",
    )
    fitp.add_argument(
        "--workers",
        type=int,
        help="run the forward runs on a local dask cluster of this many workers "
        "from the start, however small the fit",
    )
    fitp.add_argument(
        "--serial",
        action="store_true",
        help="no dask: every forward run in this process, one after another (as sweep --serial)",
    )
    fitp.add_argument("--no-plot", action="store_true", help="skip fit.png")
    fitp.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    fitp.set_defaults(handler=_fit)

    mon = sub.add_parser(
        "monitor", help="follow a running furnace's temperature log and predict the result live"
    )
    mon.add_argument(
        "recipe", help="recipe with one bath step (the plan) and optionally a [target]"
    )
    mon.add_argument(
        "--temperature-log",
        required=True,
        help="CSV log: time_s|time_min|time_h|timestamp, temperature_C|temperature_K",
    )
    mon.add_argument(
        "-o",
        "--output",
        required=True,
        help="output directory: state.json, the checkpoint and the "
        "files of ionex run (profiles.csv, result.nc, modes.csv, profiles.png, stress_index.png)",
    )
    mon.add_argument("--follow", action="store_true", help="keep watching the log (Ctrl-C stops)")
    mon.add_argument("--serve", action="store_true", help="serve the live page and /state.json")
    mon.add_argument(
        "--host", default="127.0.0.1", help="address of the live page (default 127.0.0.1)"
    )
    mon.add_argument(
        "--port", type=_port, default=8765, help="port of the live page (0: any free port)"
    )
    mon.add_argument(
        "--poll", default="1 s", help='how often to look at the log ("1 s"; 0.05 s to 1 h)'
    )
    mon.add_argument(
        "--gap-limit",
        default="10 min",
        help='warn about gaps in the log longer than this ("10 min")',
    )
    mon.add_argument(
        "--exit-after-idle", help='with --follow: stop after this long without new data ("1 h")'
    )
    mon.add_argument(
        "--write-every",
        default="30 s",
        help="with --follow: write the result files at most this "
        'often ("30 s"; ~0.5 s each time for the plots); always after the catch-up and at the end',
    )
    mon.add_argument(
        "--no-plot", action="store_true", help="skip profiles.png and stress_index.png"
    )
    mon.add_argument(
        "--resume",
        action="store_true",
        help="continue from the checkpoint in -o even if the log is not "
        "the one it followed (e.g. the old log was rotated while the monitor was stopped)",
    )
    mon.add_argument(
        "--restart",
        action="store_true",
        help="move the checkpoint in -o aside "
        "(monitor_checkpoint.npz.old-<UTC time>) and start over from the log",
    )
    _add_log_limit_options(mon)
    mon.add_argument("-q", "--quiet", action="store_true")
    mon.set_defaults(handler=_monitor)

    demo = sub.add_parser(
        "furnace-demo", help="write a realistic furnace log in (accelerated) real time"
    )
    demo.add_argument("log", help="the log file to write (replaced)")
    demo.add_argument("--setpoint", default="400 degC", help='bath set point ("400 degC")')
    demo.add_argument("--duration", default="24 h", help='process length ("24 h")')
    demo.add_argument("--interval", default="10 s", help='time between log lines ("10 s")')
    demo.add_argument("--speed", help="how many times faster than real time (default 3600)")
    demo.add_argument("--instant", action="store_true", help="write the whole log at once")
    demo.add_argument("--seed", type=int, default=1, help="seed of the sensor noise")
    demo.add_argument("-q", "--quiet", action="store_true")
    demo.set_defaults(handler=_furnace_demo)

    sweep = sub.add_parser(
        "sweep",
        help="run a recipe over a grid or sample of parameters on dask.distributed; "
        "writes sweep.nc, sweep.csv and sweep.png",
    )
    sweep.add_argument(
        "sweep", help="sweep file (TOML): the recipe, [[parameter]] tables, [design], [metrics]"
    )
    sweep.add_argument(
        "-o", "--output", required=True, help="output directory (created if missing)"
    )
    sweep.add_argument(
        "--scheduler",
        help="address of a running dask scheduler (tcp://host:8786); default: a local dask cluster",
    )
    sweep.add_argument(
        "--workers", type=int, help="workers of the local dask cluster (default: one per core)"
    )
    sweep.add_argument(
        "--serial",
        action="store_true",
        help="no dask: every run in this process, one chunk after "
        "another (as fit --serial; same results)",
    )
    sweep.add_argument(
        "--unbatched",
        action="store_true",
        help="simulate each run alone instead of several in one "
        "compiled loop (batched, the default); wherever the runs go — the cluster or, with --serial, "
        "this process. Same results; for comparison",
    )
    sweep.add_argument(
        "--one-by-one", dest="unbatched", action="store_true", help=argparse.SUPPRESS
    )  # old name
    sweep.add_argument("--no-plot", action="store_true", help="skip sweep.png")
    sweep.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    sweep.set_defaults(handler=_sweep)

    strg = sub.add_parser(
        "strength",
        help="retained strength against flaw depth, CT, stored energy and frangibility of a "
        "stress profile; writes strength.csv, strength.json and strength.png",
    )
    strg.add_argument(
        "profile",
        help="an `ionex run` output directory (its result.nc) or a stress profile table "
        "(depth_um,stress_MPa with --compression, compressive_stress_MPa, or invert's stress.csv)",
    )
    strg.add_argument("-o", "--output", required=True, help="output directory (created if missing)")
    strg.add_argument(
        "--kic", help='fracture toughness K_Ic, e.g. "0.75 MPa m^0.5" (default: 0.75 MPa·√m)'
    )
    strg.add_argument("--applied", help='applied uniform tension, e.g. "300 MPa"')
    strg.add_argument("--bending", help='applied outer-fibre bending stress, e.g. "300 MPa"')
    strg.add_argument("--thickness", help='plate thickness for a profile table, e.g. "0.8 mm"')
    strg.add_argument(
        "--compression",
        choices=("positive", "negative"),
        help="sign of compression in a stress_MPa column",
    )
    strg.add_argument("--youngs-modulus", help='E for the stored energy, e.g. "82 GPa"')
    strg.add_argument("--poisson-ratio", type=float, help="ν for the stored energy, e.g. 0.21")
    strg.add_argument("--shallowest", help="shallowest flaw assessed (default 0.1 µm)")
    strg.add_argument(
        "--deepest", help="deepest flaw assessed (default 0.6 t, the weight function's range)"
    )
    strg.add_argument("--points", type=int, default=200, help="flaw depths assessed (default 200)")
    strg.add_argument(
        "--measured",
        action="append",
        help="a measured stress profile table to compare with (repeatable): stress_comparison.png",
    )
    strg.add_argument(
        "--meter", help="surface-stress-meter readings (sample,CS_MPa,DOL_um) to compare with"
    )
    strg.add_argument("--no-plot", action="store_true", help="skip strength.png")
    strg.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    strg.set_defaults(handler=_strength)

    arr = sub.add_parser(
        "arrhenius",
        help="fit D(T) = D0·exp(−Q/RT) to a table; writes arrhenius.json and arrhenius.png",
    )
    arr.add_argument(
        "table", help="CSV with temperature_C or temperature_K, D_m2_s and optionally D_err_m2_s"
    )
    arr.add_argument("-o", "--output", required=True, help="output directory (created if missing)")
    arr.add_argument(
        "--method",
        choices=("weighted", "linear"),
        default="weighted",
        help="weighted: nonlinear least squares on D (default); linear: ln D against 1/T",
    )
    arr.add_argument("--no-plot", action="store_true", help="skip arrhenius.png")
    arr.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    arr.set_defaults(handler=_arrhenius)

    mat = sub.add_parser(
        "matano",
        help="D̃(χ) from one measured exchange profile (Boltzmann–Matano); writes "
        "interdiffusion.csv (a recipe table), matano.csv and matano.png",
    )
    mat.add_argument(
        "profile",
        help="CSV with depth_m, depth_um or depth_nm and a fraction column (frac or frac_<Ion>)",
    )
    mat.add_argument("--time", required=True, help='duration of the exchange with unit, e.g. "8 h"')
    mat.add_argument("-o", "--output", required=True, help="output directory (created if missing)")
    mat.add_argument(
        "--method",
        choices=("matano", "sauer-freise"),
        default="matano",
        help="Boltzmann–Matano (default) or Sauer–Freise (the same integral by parts here)",
    )
    mat.add_argument("--column", help="the fraction column when the file has several, e.g. frac_K")
    mat.add_argument(
        "--smoothing",
        default="gcv",
        help="gcv (default: chosen by cross-validation), none (interpolate noise-free data) or λ",
    )
    mat.add_argument(
        "--initial-fraction",
        type=float,
        default=0.0,
        help="uniform fraction of the incoming ion before the exchange (default 0)",
    )
    mat.add_argument("--no-plot", action="store_true", help="skip matano.png")
    mat.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    mat.set_defaults(handler=_matano)
    for command in sub.choices.values():
        if any(a.dest == "output" for a in command._actions):
            command.add_argument(
                "--force",
                action="store_true",
                help="replace files in the output directory that "
                "ionex did not write (or that were changed since); never the command's inputs",
            )
    return parser


def _warning_channel(quiet: bool):
    """Python warnings raised by the libraries during a command: one ``warning:`` line on
    stderr each, like the command's own warnings, and none with -q."""
    import warnings
    from contextlib import contextmanager

    @contextmanager
    def channel():
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore")
            else:

                def show(message, category, filename, lineno, file=None, line=None):
                    print(f"warning: {message}", file=sys.stderr)

                warnings.showwarning = show
            yield

    return channel()


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    import shlex

    args.invocation = "ionex " + " ".join(
        shlex.quote(str(a)) for a in (sys.argv[1:] if argv is None else argv)
    )
    try:
        with _warning_channel(getattr(args, "quiet", False)):
            code = args.handler(args)
        sys.stdout.flush()  # inside the try: a closed pipe is met here, not at interpreter exit
        return code
    except IonexError as exc:
        print(f"ionex: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ionex: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`ionex … | head`): stop quietly, as cat does
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
