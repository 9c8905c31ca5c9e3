"""The solver refuses bad input and, when it cannot converge, says where and why."""

import numpy as np
import pytest

from ionex.errors import SolverError
from ionex.grids import uniform_grid
from ionex.physics.kirchhoff import KirchhoffLaw
from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion


# D̃ stops being finite once the profile rises above 0.3 near the surface
broken_law = KirchhoffLaw.tabulate(lambda chi: np.where(chi > 0.3, np.nan, 1e-14))


@pytest.mark.parametrize(
    "law_at", [lambda t: broken_law, broken_law], ids=["stepped_loop", "compiled_loop"]
)
def test_non_convergence_names_time_and_depth(law_at):
    grid = uniform_grid(1e-4, 50)
    with pytest.raises(SolverError) as info:
        solve_nonlinear_diffusion(
            grid,
            law_at,
            np.zeros(50),
            3600.0,
            front=FaceCondition(1.0),
            back=FaceCondition(None),
        )
    msg = str(info.value)
    assert "failed at t = " in msg and " s:" in msg
    assert "depth" in msg and "D̃" in msg


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(duration=-1.0), "duration: found -1 s; expected a finite number > 0"),
        (dict(initial=np.zeros(7)), "shape"),
        (dict(initial=np.full(50, np.nan)), "non-finite"),
        (dict(output_times=[7200.0]), "output times"),
        (dict(rtol=0.0), "rtol and atol"),
    ],
)
def test_invalid_arguments(kwargs, words):
    grid = uniform_grid(1e-4, 50)
    law = KirchhoffLaw.rational(1e-14, 1e-14)
    args = dict(initial=np.zeros(50), duration=3600.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        solve_nonlinear_diffusion(
            grid,
            lambda t: law,
            args.pop("initial"),
            args.pop("duration"),
            front=FaceCondition(1.0),
            back=FaceCondition(None),
            **args,
        )


def test_face_condition_validates_fraction():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        FaceCondition(1.5)


def test_law_must_be_a_kirchhoff_law():
    grid = uniform_grid(1e-4, 10)
    with pytest.raises(TypeError, match="KirchhoffLaw"):
        solve_nonlinear_diffusion(
            grid,
            lambda t: lambda chi: (chi, chi),
            np.zeros(10),
            1.0,
            front=FaceCondition(1.0),
            back=FaceCondition(None),
        )


def test_fixed_step_failure_is_an_error_not_a_silent_shorter_step():
    with pytest.raises(SolverError, match="fixed step"):
        solve_nonlinear_diffusion(
            uniform_grid(1e-4, 50),
            lambda t: broken_law,
            np.zeros(50),
            3600.0,
            front=FaceCondition(1.0),
            back=FaceCondition(None),
            fixed_step=60.0,
        )


def test_a_non_positive_coefficient_is_refused_when_tabulated():
    with pytest.raises(ValueError, match=r"must be > 0 .* at χ = 0\.5"):
        KirchhoffLaw.tabulate(lambda chi: np.where(chi >= 0.5, -1e-14, 1e-14))
