"""Inputs a command cannot use get one clear line (exit 2, in-process): site fractions out of
range wherever a table holds them, indices no glass or cover has, flags that do not apply to
what was given, SIMS profiles without data or with foreign isotopes, absurd Arrhenius tables,
tables beyond the size limit; and -q keeps library warnings off stderr."""

import shutil
from pathlib import Path

import pytest

from ionex.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = EXAMPLES / "data"
PROFILE = (DATA / "k_profile_soda_lime_420C_8h.csv").read_text()
INDEX = (DATA / "bk7_index_profile.csv").read_text()
MODES = (DATA / "erfc_guide_modes_677nm.csv").read_text()
ARRHENIUS = (DATA / "arrhenius_k_soda_lime.csv").read_text()
SIMS = (DATA / "sims_double_cait.csv").read_text()


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("ionex: error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def check(argv, capsys, words):
    assert main([str(a) for a in argv]) == 2
    line = one_line(capsys)
    for w in words:
        assert w in line, line


# --------------------------------------------------------------------------- site fractions


def test_a_percent_fraction_is_refused_by_matano_and_by_modes(tmp_path, capsys):
    """One rule for every fraction column: [-0.1, 1.1], with the percent hint."""
    data = tmp_path / "k.csv"
    data.write_text(PROFILE.replace("0.93921", "93.921", 1))
    expected = [
        "k.csv, line 6",
        "frac_K = '93.921'",
        "outside [-0.1, 1.1]",
        "expected a value in [0, 1]",
        "percent? divide by 100",
    ]
    check(["matano", data, "--time", "8 h", "-o", tmp_path / "m", "--no-plot"], capsys, expected)
    check(["modes", data, "--material", "BK7", "-o", tmp_path / "o"], capsys, expected)


def test_a_percent_fraction_is_refused_by_fit(tmp_path, capsys):
    """`ionex fit` reads its profile dataset under the same rule (it used to fit percent)."""
    shutil.copy(EXAMPLES / "fit_soda_lime.toml", tmp_path)
    shutil.copy(EXAMPLES / "soda_lime_k_na.toml", tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "k_profile_soda_lime_420C_8h.csv").write_text(
        PROFILE.replace("0.93921", "93.921", 1)
    )
    check(
        ["fit", tmp_path / "fit_soda_lime.toml", "-o", tmp_path / "o", "--serial"],
        capsys,
        ["k_profile_soda_lime_420C_8h.csv, line 6", "frac_K = '93.921'", "percent? divide by 100"],
    )


# --------------------------------------------------------------------------- refractive indices


@pytest.mark.parametrize(
    "edit, args, words",
    [
        (None, ["--cover", "nan"], ["--cover: found nan", "≥ 1 and below 5"]),
        (None, ["--cover", "0.5"], ["--cover: found 0.5", "≥ 1 and below 5"]),
        (None, ["--cover", "1.6"], ["--cover: found 1.6", "below 1.52394", "highest index of"]),
        (None, ["--substrate-index", "7"], ["--substrate-index: found 7.0", "below 5"]),
        (None, ["--wavelength", "0 nm"], ["--wavelength: found '0 nm'", "> 0"]),
        (
            ("0,1.522782", "0,1e200"),
            [],
            ["line 4", "n_TE = '1e200'", "not a refractive index", "below 5"],
        ),
        (("\n0.25,", "\n1e300,"), [], ["line 5", "depth_um = '1e300'", "below 1 m"]),
    ],
)
def test_modes_refuses_indices_no_guide_has(tmp_path, capsys, edit, args, words):
    data = tmp_path / "p.csv"
    data.write_text(INDEX.replace(*edit, 1) if edit else INDEX)
    wavelength = [] if "--wavelength" in args else ["--wavelength", "677 nm"]
    check(
        ["modes", data, *wavelength, *args, "-o", tmp_path / "o"],
        capsys,
        ["ionex: error: ", *words],
    )


@pytest.mark.parametrize("command", ["invert", "iwkb"])
@pytest.mark.parametrize(
    "edit, args, words",
    [
        (None, ["--cover", "nan"], ["--cover: found nan", "≥ 1 and below 5"]),
        (
            None,
            ["--cover", "1.6"],
            ["--cover: found 1.6", "below 1.51372", "lowest effective index"],
        ),
        (
            ("TE,0,1.520441", "TE,0,1e6"),
            [],
            ["m.csv, line 4", "effective_index = '1e6'", "below 5"],
        ),
        (
            None,
            ["--prism", "PSK-3"],
            ["--prism applies only to a list of synchronous angles", "holds effective_index"],
        ),
        (
            None,
            ["--prism-index", "1.8"],
            ["--prism-index and --prism-angle go together", "give both"],
        ),
    ],
)
def test_invert_and_iwkb_refuse_indices_and_prisms_that_do_not_fit(
    tmp_path, capsys, command, edit, args, words
):
    data = tmp_path / "m.csv"
    data.write_text(MODES.replace(*edit, 1) if edit else MODES)
    check(
        [command, data, "--wavelength", "677 nm", *args, "-o", tmp_path / "o", "--no-plot"],
        capsys,
        words,
    )


def test_invert_refuses_a_substrate_index_out_of_range(tmp_path, capsys):
    data = tmp_path / "m.csv"
    data.write_text(MODES)
    check(
        [
            "invert",
            data,
            "--wavelength",
            "677 nm",
            "--substrate-index",
            "nan",
            "-o",
            tmp_path / "o",
        ],
        capsys,
        ["--substrate-index: found nan", "below 5"],
    )


# --------------------------------------------------------------------------- flags that do not apply


def run(tmp_path, recipe, *extra):
    return ["run", EXAMPLES / recipe, "-o", tmp_path / "o", "--no-plot", *extra]


@pytest.mark.parametrize(
    "recipe, extra, words",
    [
        (
            "soda_lime_k_na.toml",
            ["--sims", DATA / "sims_double_cait.csv", "--crater-depth", "300 nm"],
            [
                "--sims applies only to Nernst–Planck–Poisson recipes",
                "soda_lime_k_na.toml) is a binary",
            ],
        ),
        (
            "soda_lime_k_na.toml",
            ["--crater-depth", "300 nm"],
            ["--crater-depth applies only with --sims", "'300 nm'"],
        ),
        (
            "soda_lime_k_na.toml",
            ["--gap-limit", "1 h"],
            ["--gap-limit applies only with --temperature-log", "'1 h'"],
        ),
        (
            "soda_lime_k_na.toml",
            ["--lenient"],
            ["--lenient applies only to temperature logs", "reads none"],
        ),
        (
            "double_cait_li3b7o12.toml",
            ["--sims", DATA / "sims_double_cait.csv", "--crater-depth", "-300 nm"],
            ["--crater-depth: found '-300 nm'", "> 0"],
        ),
    ],
)
def test_run_refuses_flags_that_do_not_apply(tmp_path, capsys, recipe, extra, words):
    check(run(tmp_path, recipe, *extra), capsys, words)


def test_modes_refuses_a_fraction_column_it_would_ignore(tmp_path, capsys):
    data = tmp_path / "p.csv"
    data.write_text("depth_um,n,frac_K\n0,1.52,1\n10,1.5137,0\n20,1.5137,0\n")
    check(
        ["modes", data, "--wavelength", "677 nm", "--column", "frac_K", "-o", tmp_path / "o"],
        capsys,
        ["--column applies only to a fraction", "holds the index (n)", "'frac_K' would be ignored"],
    )


def test_elasto_optic_constants_need_both_polarisations(tmp_path, capsys):
    data = tmp_path / "te.csv"
    data.write_text(
        "".join(line + "\n" for line in MODES.splitlines() if not line.startswith("TM"))
    )
    check(
        [
            "iwkb",
            data,
            "--wavelength",
            "677 nm",
            "--c-parallel",
            "-0.5e-12 1/Pa",
            "--c-perp",
            "-3e-12 1/Pa",
            "-o",
            tmp_path / "o",
        ],
        capsys,
        [
            "--c-parallel/--c-perp give the stress from the TE and TM modes",
            "te.csv gives TE modes only",
            "would be ignored",
        ],
    )


def test_matano_initial_fraction_is_a_site_fraction(tmp_path, capsys):
    data = tmp_path / "k.csv"
    data.write_text(PROFILE)
    check(
        ["matano", data, "--time", "8 h", "--initial-fraction", "50", "-o", tmp_path / "o"],
        capsys,
        ["--initial-fraction: found 50.0", "in [0, 1]", "percent? divide by 100"],
    )


# --------------------------------------------------------------------------- SIMS profiles


@pytest.mark.parametrize(
    "text, words",
    [
        (
            "time_s,counts_7Li,counts_85Rb\n0,0,0\n1,0,0\n2,0,0\n",
            ["s.csv: every count of every isotope is zero"],
        ),
        (
            SIMS.replace("counts_133Cs", "counts_107Ag"),
            [
                "s.csv, line 2",
                "counts_107Ag is an isotope of Ag",
                "not a species of the recipe",
                "Cs, Li, Rb",
            ],
        ),
    ],
)
def test_sims_profiles_without_counts_or_of_other_elements(tmp_path, capsys, text, words):
    """Refused before the simulation, so these cost nothing."""
    sims = tmp_path / "s.csv"
    sims.write_text(text)
    check(
        run(tmp_path, "double_cait_li3b7o12.toml", "--sims", sims, "--crater-depth", "300 nm"),
        capsys,
        words,
    )


# --------------------------------------------------------------------------- Arrhenius tables, flat profiles


@pytest.mark.parametrize(
    "old, new, words",
    [
        (
            "2.5302e-16",
            "1e300",
            ["line 4", "D_m2_s = '1e300'", "expected a value in [1e-40, 1] m^2/s"],
        ),
        (
            "380,",
            "38000,",
            ["line 4", "temperature_C = '38000'", "expected a value in [100, 3000] K"],
        ),
    ],
)
def test_arrhenius_refuses_values_out_of_physical_range(tmp_path, capsys, old, new, words):
    table = tmp_path / "a.csv"
    table.write_text(ARRHENIUS.replace(old, new, 1))
    check(["arrhenius", table, "-o", tmp_path / "o", "--no-plot"], capsys, ["a.csv, ", *words])


def test_matano_says_a_flat_profile_shows_no_exchange(tmp_path, capsys):
    data = tmp_path / "flat.csv"
    data.write_text("depth_um,frac_K\n" + "".join(f"{x},0.25\n" for x in range(12)))
    check(
        ["matano", data, "--time", "8 h", "-o", tmp_path / "o"],
        capsys,
        ["flat.csv: every fraction is 0.25", "expected a profile that changes with depth"],
    )


# --------------------------------------------------------------------------- size, -q


def test_a_table_beyond_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    import ionex.io.tables as tables

    monkeypatch.setattr(tables, "MAX_TABLE_BYTES", 1000)
    data = tmp_path / "p.csv"
    data.write_text(INDEX)
    check(
        ["modes", data, "--wavelength", "677 nm", "-o", tmp_path / "o"],
        capsys,
        ["p.csv: the file has 0.00", "MB; expected a table of at most 0.001 MB"],
    )


def test_quiet_keeps_library_warnings_off_stderr(tmp_path, capsys):
    """Eighty output times once made matplotlib warn that the legend did not fit; the legend
    now labels a dozen of them, and any library warning is a `warning:` line that -q drops."""
    times = ", ".join(f'"{0.1 * k:.1f} h"' for k in range(1, 81))
    text = (EXAMPLES / "soda_lime_k_na.toml").read_text()
    start = text.index("\ntimes = ")
    recipe = tmp_path / "many.toml"
    recipe.write_text(text[:start] + f"\ntimes = [{times}]" + text[text.index("\n", start + 1) :])
    assert main(["run", str(recipe), "-o", str(tmp_path / "o"), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / "o" / "profiles.png").stat().st_size > 0
    assert main(["run", str(recipe), "-o", str(tmp_path / "loud")]) == 0
    assert "warning" not in capsys.readouterr().err
    # the command's own warnings too (inverse WKB has no uncertainties)
    modes = tmp_path / "modes.csv"
    modes.write_text(MODES)
    assert (
        main(
            ["iwkb", str(modes), "--material", "BK7", "-o", str(tmp_path / "w"), "-q", "--no-plot"]
        )
        == 0
    )
    assert capsys.readouterr().err == ""
