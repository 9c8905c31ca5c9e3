"""Live page of the process monitor: a read-only local server and the monitor loop that feeds it (no numerics here)."""
