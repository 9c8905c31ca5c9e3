"""Fit files: parameters in the units of their recipe fields, datasets and their readers,
and one clear message (file, line, field, found, expected) for every kind of bad input."""

import math
import re
import textwrap

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.fit_file import load_fit
from _recipes import NPP_BATH

RECIPE = textwrap.dedent(
    """
    [glass]
    host_ion = "Na"
    total_mobile = "10.9 mol/L"
    [ions.K]
    D = "1e-15 m^2/s"
    [ions.Na]
    D = "1e-14 m^2/s"
    [[step]]
    bath = { K = 0.9 }
    temperature = "420 degC"
    duration = "2 h"
    """
)

PROFILE = "depth_um,frac_K\n" + "".join(
    f"{x:.2f},{0.9 * math.erfc(x / 6):.5f}\n" for x in np.linspace(0.2, 8, 12)
)

FIT = textwrap.dedent(
    """
    recipe = "r.toml"
    [[parameter]]
    path = "ions.K.D"
    value = "2e-15 m^2/s"
    min = "1e-17 m^2/s"
    max = "1e-13 m^2/s"
    log = true
    [[parameter]]
    path = "step[1].temperature"
    min = "400 degC"
    max = "440 degC"
    [[dataset]]
    kind = "profile"
    file = "k.csv"
    time = "2 h"
    sigma = 0.01
    """
)


def setup(tmp_path, fit=FIT, files=None):
    (tmp_path / "r.toml").write_text(RECIPE)
    (tmp_path / "k.csv").write_text(PROFILE)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "fit.toml").write_text(fit)
    return tmp_path / "fit.toml"


def error(tmp_path, fit, files=None) -> str:
    path = setup(tmp_path, fit, files)
    with pytest.raises(RecipeError) as info:
        load_fit(path)
    return str(info.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_valid_fit_file_loads_in_si_with_units_of_the_fields(tmp_path):
    s = load_fit(setup(tmp_path))
    d, t = s.parameters
    assert (d.name, d.value, d.min, d.max, d.log) == ("ions.K.D", 2e-15, 1e-17, 1e-13, True)
    # a temperature field written in degC is varied in kelvin; its start is the recipe's value
    assert (
        t.value == pytest.approx(693.15)
        and t.min == pytest.approx(673.15)
        and t.max == pytest.approx(713.15)
    )
    assert s.units["step[1].temperature"].text == "degC" and s.units["ions.K.D"].text == "m^2/s"
    (fd,) = s.datasets
    assert (
        fd.data.kind == "profile"
        and fd.data.ion == "K"
        and fd.data.time == 7200.0
        and fd.data.n_points == 12
    )
    np.testing.assert_allclose(fd.data.depth[[0, -1]], [0.2e-6, 8e-6])
    recipe = fd.builder({"ions.K.D": 3e-15, "step[1].temperature": 700.0})
    assert recipe.model.incoming(700.0) == pytest.approx(3e-15)
    assert recipe.steps[0].temperature(0.0) == pytest.approx(700.0)
    assert s.options.fd_scheme == "central" and s.title == "fit"


def test_datasets_with_equal_overrides_share_a_builder(tmp_path):
    fit = (
        FIT
        + textwrap.dedent(
            """
        [[dataset]]
        kind = "profile"
        file = "k.csv"
        name = "same"
        time = "2 h"
        sigma = 0.01
        [[dataset]]
        kind = "profile"
        file = "k.csv"
        name = "longer"
        sigma = 0.01
        set = { "step[1].duration" = "3 h" }
        """
        )
    ).replace(
        'path = "step[1].temperature"\nmin = "400 degC"\nmax = "440 degC"\n',
        'path = "step[1].bath.K"\n',
    )
    s = load_fit(setup(tmp_path, fit))
    a, b, c = s.datasets
    assert a.builder is b.builder and c.builder is not a.builder
    assert c.builder({"ions.K.D": 1e-15, "step[1].bath.K": 0.9}).total_time == 3 * 3600.0


@pytest.mark.parametrize(
    "old, new, line_needle, field, words",
    [
        (
            'path = "ions.K.D"',
            'path = "ions.K.DD"',
            "ions.K.DD",
            "parameter[1].path",
            ["'ions.K.DD' is not a field of this recipe", "did you mean ions.K.D"],
        ),
        (
            'value = "2e-15 m^2/s"',
            'value = "2e-12 m^2/s"',
            "value =",
            "parameter[1].value",
            ["start value 2e-12 m^2/s lies outside [1e-17 m^2/s, 1e-13 m^2/s]"],
        ),
        (
            'min = "1e-17 m^2/s"',
            'min = "1e-12 m^2/s"',
            'min = "1e-12',
            "parameter[1].min",
            ["min = 1e-12 m^2/s and max = 1e-13 m^2/s; expected min < max"],
        ),
        (
            'min = "1e-17 m^2/s"',
            'min = "-1e-17 m^2/s"',
            'min = "-1e-17',
            "parameter[1].min",
            ["log = true needs a positive start value and bounds ≥ 0"],
        ),
        (
            'max = "1e-13 m^2/s"',
            'max = "3 h"',
            'max = "3 h"',
            "parameter[1].max",
            ["found '3 h'; expected a value in units of m^2/s", "the unit of ions.K.D in r.toml"],
        ),
        (
            'max = "1e-13 m^2/s"',
            "max = 1e-13",
            "max = 1e-13",
            "parameter[1].max",
            ["found 1e-13; expected a value in units of m^2/s"],
        ),
        (
            'min = "400 degC"',
            'min = "425 degC"',
            'min = "425',
            "parameter[2].min",
            ["start value 420 degC (from the recipe) lies outside [425 degC, 440 degC]"],
        ),
        (
            'kind = "profile"',
            'kind = "profil"',
            'kind = "profil"',
            "dataset[1].kind",
            [
                "found 'profil' (did you mean 'profile'?); expected one of: profile, sims, zone, index, modes, surface_stress"
            ],
        ),
        (
            "sigma = 0.01",
            "sigmaa = 0.01",
            "sigmaa",
            "dataset[1].sigmaa",
            ["unknown key (did you mean 'sigma'?)"],
        ),
        (
            'file = "k.csv"',
            'file = "missing.csv"',
            "missing.csv",
            "dataset[1].file",
            ["missing.csv does not exist; expected a data file"],
        ),
        (
            'recipe = "r.toml"',
            'recipe = "nope.toml"',
            "nope.toml",
            "recipe",
            ["nope.toml does not exist; expected a recipe file"],
        ),
        (
            'time = "2 h"',
            'time = "3 h"',
            'time = "3 h"',
            "dataset[1].time",
            ["found '3 h'; expected a time from 0 to the end of the process, 2 h"],
        ),
        (
            'time = "2 h"',
            'time = "2 h"\nset = { "step[1].temprature" = "400 degC" }',
            "set =",
            "dataset[1].set.step[1].temprature",
            ["not a field of this recipe", "did you mean step[1].temperature"],
        ),
        (
            'time = "2 h"',
            'time = "2 h"\nset = { "ions.K.D" = "1e-15 m^2/s" }',
            "set =",
            "dataset[1].set.ions.K.D",
            ["'ions.K.D' is a fitted parameter; a dataset cannot also set it"],
        ),
        (
            "sigma = 0.01",
            "sigma = 0.0",
            "sigma = 0.0",
            "dataset[1].sigma",
            ["expected an uncertainty > 0"],
        ),
        (
            'kind = "profile"',
            'kind = "index"',
            'kind = "index"',
            "dataset[1].kind",
            ["found 'index'; expected an [optics] section in the recipe r.toml"],
        ),
    ],
)
def test_bad_input_names_file_line_and_field(tmp_path, old, new, line_needle, field, words):
    assert old in FIT
    fit = FIT.replace(old, new, 1)
    msg = error(tmp_path, fit)
    assert msg.startswith(
        f"{tmp_path / 'fit.toml'}, line {line_of(fit, line_needle)}: {field}: "
    ), msg
    for w in words:
        assert w in msg, msg


def test_no_uncertainty_and_two_uncertainties_are_refused(tmp_path):
    msg = error(tmp_path, FIT.replace("sigma = 0.01\n", ""))
    assert (
        "dataset[1]: no uncertainty for k.csv: expected sigma = … (a number) or a sigma column"
        in msg
    )
    with_sigma = (
        PROFILE.replace("frac_K\n", "frac_K,sigma\n", 1)
        .replace("\n", ",0.01\n")
        .replace("frac_K,sigma,0.01", "frac_K,sigma")
    )
    msg = error(tmp_path, FIT, {"k.csv": with_sigma})
    assert "k.csv has a sigma column and the fit file gives sigma too" in msg


def test_a_sigma_column_is_read(tmp_path):
    rows = PROFILE.splitlines()
    text = (
        "\n".join(
            [rows[0] + ",sigma"] + [r + f",{0.01 + 0.001 * i}" for i, r in enumerate(rows[1:])]
        )
        + "\n"
    )
    s = load_fit(setup(tmp_path, FIT.replace("sigma = 0.01\n", ""), {"k.csv": text}))
    np.testing.assert_allclose(s.datasets[0].data.sigma, 0.01 + 0.001 * np.arange(12))


def test_nan_in_the_data_names_the_data_file_and_line(tmp_path):
    rows = PROFILE.splitlines()
    rows[4] = rows[4].split(",")[0] + ",nan"
    msg = error(tmp_path, FIT, {"k.csv": "\n".join(rows) + "\n"})
    assert (
        msg
        == f"{tmp_path / 'k.csv'}, line 5: frac_K = 'nan' is not a finite number; expected a number"
    )


def test_too_few_points(tmp_path):
    short = "\n".join(PROFILE.splitlines()[:3]) + "\n"  # header + 2 rows
    fit = FIT
    msg = error(tmp_path, fit, {"k.csv": short})
    assert re.match(
        rf"{re.escape(str(tmp_path / 'fit.toml'))}, line {line_of(fit, 'file =')}: dataset\[1\]\.file: "
        r"k\.csv has 2 data point\(s\); expected at least 3",
        msg,
    ), msg
    # enough per dataset, not enough for the parameters
    three = "\n".join(PROFILE.splitlines()[:4]) + "\n"
    fit3 = FIT + '[[parameter]]\npath = "step[1].bath.K"\n'
    msg = error(tmp_path, fit3, {"k.csv": three})
    assert (
        "dataset[1].file: 3 data point(s) in all for 3 fitted parameter(s); expected more points than parameters"
        in msg
    )


def test_unknown_columns_and_wrong_ion(tmp_path):
    msg = error(tmp_path, FIT.replace("sigma = 0.01", 'sigma = 0.01\ncolumn = "frac_Li"'))
    assert "dataset[1].column: found 'frac_Li'; expected one of frac_K, frac_Na" in msg
    msg = error(tmp_path, FIT, {"k.csv": PROFILE.replace("depth_um", "depth_mm")})
    assert (
        "k.csv, line 1: header 'depth_mm,frac_K'; expected one depth column: depth_m, depth_um, depth_nm"
        in msg
    )


def test_bad_fit_options_and_missing_sections(tmp_path):
    msg = error(tmp_path, FIT + '[fit]\nmethod = "nelder"\n')
    assert (
        f"line {line_of(FIT + '[fit]', '[fit]') + 1}: fit.method: found 'nelder'; expected \"leastsq\""
        in msg
    )
    msg = error(tmp_path, FIT.split("[[dataset]]")[0])
    assert "dataset: missing (required)" in msg


OPTICAL = RECIPE.replace('D = "1e-15 m^2/s"', 'D = "2e-16 m^2/s"').replace(
    'D = "1e-14 m^2/s"', 'D = "2e-15 m^2/s"'
) + textwrap.dedent(
    """
    [stress]
    material = "BK7"
    relaxation = "kww"
    tau = "200 h"
    [optics]
    material = "BK7"
    prism = "PSK-3"
    """
)


def test_index_modes_and_stress_files_in_the_formats_ionex_writes(tmp_path):
    from ionex.physics import materials
    from ionex.physics.prism import Prism, synchronous_angle

    iwkb = "polarisation,depth_m,n\n" + "".join(
        f"{pol},{x:.6g},{n:.7f}\n"
        for pol, shift in (("TE", 0.0), ("TM", 0.001))
        for x, n in zip(np.linspace(0, 6e-6, 5), np.linspace(1.522, 1.514, 5) + shift)
    )
    prism = materials.prism("PSK-3")
    angles = "polarisation,order,synchronous_angle_deg\n" + "".join(
        f"TE,{m},{np.degrees(synchronous_angle(n, Prism(prism.index, prism.angle))):.6f}\n"
        for m, n in enumerate((1.5200, 1.5170, 1.5150))
    )
    stress = "time_h,surface_stress_MPa,sigma\n0.5,-300,5\n1,-290,5\n2,-280,6\n# a comment\n"
    fit = textwrap.dedent(
        """
        recipe = "r.toml"
        [[parameter]]
        path = "ions.K.D"
        log = true
        min = "1e-18 m^2/s"
        max = "1e-14 m^2/s"
        [[dataset]]
        kind = "index"
        file = "profile.csv"
        column = "n_TM"
        sigma = 2e-4
        [[dataset]]
        kind = "modes"
        file = "modes.csv"
        sigma = 1e-5
        [[dataset]]
        kind = "surface_stress"
        file = "stress.csv"
        """
    )
    (tmp_path / "r.toml").write_text(OPTICAL)
    for name, text in (
        ("profile.csv", iwkb),
        ("modes.csv", angles),
        ("stress.csv", stress),
        ("fit.toml", fit),
    ):
        (tmp_path / name).write_text(text)
    index, modes, sigma_t = (fd.data for fd in load_fit(tmp_path / "fit.toml").datasets)
    assert (
        index.polarisation == "TM"
        and index.n_points == 5
        and index.index[0] == pytest.approx(1.523)
    )
    assert modes.polarisation == ("TE",) * 3 and modes.order.tolist() == [0, 1, 2]
    np.testing.assert_allclose(
        modes.effective_index, [1.5200, 1.5170, 1.5150], atol=2e-7
    )  # angles via the prism
    np.testing.assert_allclose(sigma_t.times, [1800, 3600, 7200])
    np.testing.assert_allclose(sigma_t.stress, [-300e6, -290e6, -280e6])
    np.testing.assert_allclose(sigma_t.sigma, [5e6, 5e6, 6e6])


def test_surface_stress_after_the_process_is_refused(tmp_path):
    (tmp_path / "r.toml").write_text(OPTICAL)
    (tmp_path / "s.csv").write_text("time_h,surface_stress_MPa\n1,-300\n2,-290\n3,-280\n")
    fit = 'recipe = "r.toml"\n[[parameter]]\npath = "stress.tau"\n[[dataset]]\nkind = "surface_stress"\nfile = "s.csv"\nsigma = "5 MPa"\n'
    (tmp_path / "fit.toml").write_text(fit)
    with pytest.raises(
        RecipeError,
        match=r"line 6: dataset\[1\]\.file: s\.csv: found times\[2\] = 3 h; expected a time from 0 "
        r"to the end of the process, 2 h",
    ):
        load_fit(tmp_path / "fit.toml")


def test_a_fit_file_with_a_byte_order_mark_reads(tmp_path):
    path = setup(tmp_path, "\ufeff" + FIT)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_fit(path) is not None


def test_a_deeply_nested_fit_file_is_one_error_line(tmp_path, capsys):
    from ionex.cli import main

    path = setup(tmp_path, FIT + "x = " + "[" * 500 + "]" * 500 + "\n")
    rc = main(["fit", str(path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert (
        "fit.toml, line " in err
        and "x: found arrays or tables nested more than 32 levels deep" in err
    ), err


@pytest.mark.parametrize(
    "old, new, key, found",
    [
        (
            'max = "440 degC"',
            'max = "440 degC"\n[[parameter]]\npath = "step[1].bath.K"\nmin = 0.5\nmax = 3.0',
            "max",
            "3",
        ),
        ('min = "400 degC"', 'min = "-300 degC"', "min", "-300 degC"),
    ],
)
def test_a_bound_the_recipe_refuses_is_an_error_before_the_fit(tmp_path, old, new, key, found):
    with pytest.raises(
        RecipeError,
        match=rf"fit\.toml, line \d+: parameter\[\d\]\.{key}: found {key} = {found}, "
        r"where the recipe does not load \(.+\); expected a bound the recipe accepts",
    ):
        load_fit(setup(tmp_path, FIT.replace(old, new)))


def test_log_with_min_zero_means_unbounded_below(tmp_path):
    setup_ = load_fit(setup(tmp_path, FIT.replace('min = "1e-17 m^2/s"', 'min = "0 m^2/s"')))
    d = setup_.parameters[0]
    assert d.log and d.min == 0.0 and d.to_scaled(d.min) == -math.inf


# --------------------------------------------------------------------------- rules of the fit


def _si_in(unit):
    return lambda v: f"{v:.6g} {unit}"


def _recipe_at_start(tmp_path, text=RECIPE):
    from ionex.io.recipe_document import RecipeDocument

    (tmp_path / "r.toml").write_text(text)
    return RecipeDocument.load(tmp_path / "r.toml").recipe()


def _profile(time=None, depth=(1e-6, 2e-6, 3e-6), sigma=0.01):
    from ionex.process.fitting import ProfileData

    return ProfileData(np.array(depth), np.full(len(depth), 0.5), sigma, time=time, name="k")


NPP = NPP_BATH


def _rule_cases():
    """(label, fit file, extra files, recipe text, the process call that states the rule,
    how the reader shows it (describe's arguments, the data file's name or None), where)."""
    from ionex.process.fitting import (
        FitDataset,
        FitOptions,
        FitParameter,
        IndexData,
        SurfaceStressData,
        check_data,
        check_parameters,
    )

    d = FitParameter("ions.K.D", 2e-15, 1e-17, 1e-13, log=True)
    t = FitParameter("step[1].temperature", 693.15, 673.15, 713.15)
    stress = "time_h,surface_stress_MPa\n0.5,-300\n1,-290\n2,-280\n"
    three = "\n".join(PROFILE.splitlines()[:4]) + "\n"
    return [
        (
            "min-over-max",
            FIT.replace('min = "1e-17 m^2/s"', 'min = "1e-12 m^2/s"'),
            {},
            RECIPE,
            lambda r: FitParameter("ions.K.D", 2e-15, 1e-12, 1e-13, log=True),
            ({"shown": _si_in("m^2/s")}, None),
            ("parameter[1].min", 'min = "1e-12'),
        ),
        (
            "start-outside-bounds",
            FIT.replace('value = "2e-15 m^2/s"', 'value = "2e-12 m^2/s"'),
            {},
            RECIPE,
            lambda r: FitParameter("ions.K.D", 2e-12, 1e-17, 1e-13, log=True),
            ({"shown": _si_in("m^2/s")}, None),
            ("parameter[1].value", "value ="),
        ),
        (
            "log-needs-positive",
            FIT.replace('min = "1e-17 m^2/s"', 'min = "-1e-17 m^2/s"'),
            {},
            RECIPE,
            lambda r: FitParameter("ions.K.D", 2e-15, -1e-17, 1e-13, log=True),
            ({"shown": _si_in("m^2/s")}, None),
            ("parameter[1].min", 'min = "-1e-17'),
        ),
        (
            "parameter-twice",
            FIT + '[[parameter]]\npath = "ions.K.D"\n',
            {},
            RECIPE,
            lambda r: check_parameters([d, t, FitParameter("ions.K.D", 1e-15)]),
            ({}, None),
            ("parameter[3].path", 'path = "ions.K.D"'),
        ),
        (
            "points-for-parameters",
            FIT + '[[parameter]]\npath = "step[1].bath.K"\n',
            {"k.csv": three},
            RECIPE,
            lambda r: check_data(
                [d, t, FitParameter("step[1].bath.K", 0.9)],
                [FitDataset(_profile(), None)],
            ),
            ({}, None),
            ("dataset[1].file", "file ="),
        ),
        (
            "method",
            FIT + '[fit]\nmethod = "nelder"\n',
            {},
            RECIPE,
            lambda r: FitOptions(method="nelder"),
            ({"found": "'nelder'"}, None),
            ("fit.method", "method ="),
        ),
        (
            "time-after-the-process",
            FIT.replace('time = "2 h"', 'time = "3 h"'),
            {},
            RECIPE,
            lambda r: _profile(time=3 * 3600.0).check_recipe(r),
            ({"found": "'3 h'"}, None),
            ("dataset[1].time", 'time = "3 h"'),
        ),
        (
            "index-needs-optics",
            FIT.replace('kind = "profile"', 'kind = "index"'),
            {},
            RECIPE,
            lambda r: IndexData.check_model(r, "k"),
            ({"found": "'index'"}, None),
            ("dataset[1].kind", "kind ="),
        ),
        (
            "surface-stress-needs-stress",
            FIT.replace('kind = "profile"', 'kind = "surface_stress"')
            .replace('file = "k.csv"', 'file = "s.csv"')
            .replace('time = "2 h"\n', "")
            .replace("sigma = 0.01", 'sigma = "5 MPa"'),
            {"s.csv": stress},
            RECIPE,
            lambda r: SurfaceStressData.check_model(r, "s"),
            ({"found": "'surface_stress'"}, None),
            ("dataset[1].kind", "kind ="),
        ),
        (
            "npp-fits-profiles-only",
            'recipe = "r.toml"\n[[parameter]]\npath = "species.K.D"\n[[dataset]]\n'
            'kind = "surface_stress"\nfile = "s.csv"\nsigma = "5 MPa"\n',
            {"s.csv": stress},
            NPP,
            lambda r: SurfaceStressData.check_model(r, "s"),
            ({"found": "'surface_stress'"}, None),
            ("dataset[1].kind", "kind ="),
        ),
        (
            "depth-beyond-the-plate",
            FIT,
            {},
            RECIPE.replace(
                'total_mobile = "10.9 mol/L"', 'total_mobile = "10.9 mol/L"\nthickness = "6 um"'
            ),
            lambda r: _profile(
                7200.0, depth=[float(x) * 1e-6 for x in np.linspace(0.2, 8, 12)]
            ).check_recipe(r),
            ({}, "k.csv"),
            ("dataset[1].file", "file ="),
        ),
        (
            "sigma-negative",
            FIT.replace("sigma = 0.01", "sigma = -0.01"),
            {},
            RECIPE,
            lambda r: _profile(sigma=-0.01),
            ({"found": "-0.01"}, None),
            ("dataset[1].sigma", "sigma ="),
        ),
    ]


@pytest.mark.parametrize("case", _rule_cases(), ids=lambda c: c[0])
def test_each_rule_of_the_fit_is_the_process_layers_located_in_the_file(tmp_path, case):
    """The message is the process layer's own (FitInputError.describe), preceded by the file,
    the line and the field — the reader adds where, and at most the value as written."""
    from ionex.process.fitting import FitInputError

    _, fit, files, recipe_text, state, (shown, data_file), (field, needle) = case
    recipe = _recipe_at_start(tmp_path, recipe_text)
    with pytest.raises(FitInputError) as owner:
        state(recipe)
    rule = owner.value.describe(**shown)
    if data_file is not None:
        rule = f"{data_file}: {rule}"
    path = setup(tmp_path, fit, files)
    (tmp_path / "r.toml").write_text(recipe_text)
    with pytest.raises(RecipeError) as info:
        load_fit(path)
    line = max(i for i, text in enumerate(fit.splitlines(), start=1) if needle in text)
    assert str(info.value) == f"{path}, line {line}: {field}: {rule}"


def test_every_kind_has_one_reader():
    from ionex.io.fit_file import KIND_READERS
    from ionex.process.fitting import DATA_KINDS, KINDS

    assert tuple(KIND_READERS) == KINDS
    assert all(KIND_READERS[k].data is DATA_KINDS[k] for k in KINDS)
