"""Pure physics models: functions of arrays and frozen SI parameter dataclasses.

Nothing here reads files, imports pint or knows about solvers (docs/physics.md is the reference).
"""
