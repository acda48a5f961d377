"""The CLI a newcomer reads: every command and option described, an Example per command, shared
options that mean and default the same everywhere, and `--open` that says when it cannot."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import topicbook.cli as cli
from topicbook.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_and_option_is_described_with_an_example(name: str) -> None:
    command = main.commands[name]
    assert command.help and command.short_help, f"{name} has no help"
    undescribed = [o.opts for o in options(command) if not o.help]
    assert not undescribed, f"{name}: options without help: {undescribed}"
    text = invoke(name, "--help").output
    assert "\n  Example:\n" in text, f"{name} --help has no Example block"
    block = text.split("\n  Example:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    # one command per line (click kept the line breaks), the first a call of this command
    assert block and all(line.startswith("      topicbook ") for line in block), block
    assert f" {name} " in block[0].replace("topicbook -v ", "topicbook "), block


def test_the_group_is_described_with_a_walk_through() -> None:
    assert all(o.help for o in options(main) if o.name not in ("help",))
    text = invoke("--help").output
    block = text.split("Example (a study, step by step):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[1] for line in block] == ["init", "validate", "run", "export"]


def test_shared_options_mean_and_default_the_same_in_every_command() -> None:
    seen: dict[str, set[tuple[object, ...]]] = {}
    for command in main.commands.values():
        for option in options(command):
            if option.name in ("jobs", "force", "open_browser"):
                key = (repr(option.type), option.default, option.help.split(";")[-1] if option.name == "jobs" else "")
                seen.setdefault(option.name, set()).add(key)
        for arg in (p for p in command.params if isinstance(p, click.Argument) and p.name == "run_dir"):
            seen.setdefault("run_dir", set()).add((repr(arg.type),))
    assert {k: len(v) for k, v in seen.items()} == {"jobs": 1, "force": 1, "open_browser": 1, "run_dir": 1}
    jobs = {name: o.default for name, c in main.commands.items() for o in options(c) if o.name == "jobs"}
    assert set(jobs) >= {"run", "sweep"} and set(jobs.values()) == {cli.DEFAULT_JOBS}
    folders = {name: o.default for name, c in main.commands.items() for o in options(c) if o.name == "out_dir"
               and name in ("run", "sweep")}
    assert folders == {"run": Path("runs"), "sweep": Path("runs")}
    assert "STOP included" in next(o.help for o in options(main.commands["sweep"]) if o.name == "k_range")


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import topicbook.report.explorer as explorer

    target = tmp_path / "run" / "explorer.html"
    monkeypatch.setattr(explorer, "rebuild_explorer", lambda run_dir: target)
    return target


def test_explore_open_without_a_display_says_so(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(cli.webbrowser, "open", lambda uri: opened.append(uri) or True)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = invoke("explore", str(page.parent), "--open")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"Explorer: {page}",
        f"Warning: --open: no display here (DISPLAY and WAYLAND_DISPLAY are not set), so no browser can show the page; open {page} on a machine with a screen."]
    assert opened == []


@pytest.mark.parametrize("started", [True, False])
def test_explore_open_with_a_display(page: Path, monkeypatch: pytest.MonkeyPatch, started: bool) -> None:
    opened: list[str] = []
    monkeypatch.setattr(cli.webbrowser, "open", lambda uri: opened.append(uri) or started)
    monkeypatch.setenv("DISPLAY", ":0")
    result = invoke("explore", str(page.parent), "--open")
    assert opened == [page.resolve().as_uri()]
    warning = f"Warning: --open: no web browser could be started; open {page} in a browser yourself."
    assert result.output.splitlines() == [f"Explorer: {page}"] + ([] if started else [warning])


def test_the_readme_command_reference_lists_every_command() -> None:
    from conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    reference = text.split("## Command reference\n", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`topicbook ", 1)[1].split()[0] for line in reference.splitlines() if line.startswith("| `topicbook ")}
    assert listed == set(main.commands)


def test_the_readme_command_reference_names_every_option() -> None:
    from conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    reference = text.split("## Command reference\n", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("`topicbook ", 1)[1].split()[0]: line for line in reference.splitlines() if line.startswith("| `topicbook ")}
    def named(opt: str, row: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", row) is not None

    missing = {name: [o.opts[0] for o in options(command) if not any(named(opt, rows[name]) for opt in o.opts)]
               for name, command in main.commands.items()}
    assert {name: opts for name, opts in missing.items() if opts} == {}
