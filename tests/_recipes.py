"""Small recipe texts several test modules read (TOML, as a user would write them)."""

# a 2 µm Na⁺ glass taking K⁺ from a bath for 500 s: the smallest Nernst–Planck–Poisson run
NPP_BATH = """
[model]
kind = "nernst-planck-poisson"
[sample]
thickness = "2 um"
area = "1 cm^2"
background_density = "1e28 m^-3"
relative_permittivity = 8
temperature = "600 K"
[species.Na]
D = "1e-16 m^2/s"
initial_fraction = 1.0
[species.K]
D = "1e-17 m^2/s"
[[step]]
kind = "bath"
surface = { K = 1.0 }
duration = "500 s"
"""

# a lithium aluminosilicate plate, 0.8 mm, exchanged on both faces: a Na step, then a K step
LAS_TWO_STEP = """
name = "LAS two-step"
[glass]
total_mobile = "15 mol/L"
initial = { Li = 0.55, Na = 0.43, K = 0.02 }
thickness = "0.8 mm"
faces = "both"
[ions.Li]
D = "2.5e-13 m^2/s"
[ions.Na]
D = "8e-12 m^2/s"
[ions.K]
D = "6e-16 m^2/s"
[[step]]
name = "Na step"
bath = { Li = 0.2, Na = 0.7, K = 0.1 }
temperature = "395 degC"
duration = "4 h"
[[step]]
name = "K step"
bath = { Na = 0.1, K = 0.9 }
temperature = "380 degC"
duration = "1 h"
[output]
times = ["2 h"]
"""
