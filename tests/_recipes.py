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
