"""Every command the README shows in a fenced block and that starts with `ionex` runs as
written from the repository root, in the README's order (later commands read what earlier
ones wrote), and ends with exit code 0 — so the README cannot rot.

The commands run in-process through `ionex.cli.main` (the same parser and code as the
installed `ionex`), in a scratch directory that sees the repository's examples/."""

import shlex
from pathlib import Path

import pytest

from ionex.cli import main

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The lines of fenced blocks that start with `ionex `, in order."""
    commands, fenced = [], False
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced and line.strip().startswith("ionex "):
            commands.append(line.strip())
    return commands


def test_the_readme_shows_a_runnable_command_for_every_ionex_command():
    shown = {shlex.split(c, comments=True)[1] for c in readme_commands()}
    from ionex.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert shown == set(sub.choices), (
        f"commands without a README example: {set(sub.choices) - shown}"
    )


def test_every_readme_command_runs_as_written(tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    commands = readme_commands()
    assert len(commands) >= 10
    for command in commands:
        argv = shlex.split(command, comments=True)
        code = main(argv[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"{command}\n{out}\n{err}"
        assert "Traceback" not in err, f"{command}\n{err}"
        if "-o" in argv:
            written = tmp_path / argv[argv.index("-o") + 1]
            assert written.is_dir() and any(written.iterdir()), command


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.toml")))
def test_every_example_is_named_in_the_readme(example):
    assert f"examples/{example}" in (ROOT / "README.md").read_text(encoding="utf-8")
