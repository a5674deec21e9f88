"""The README's commands run as written from a clone, and the docs name only files a clone has.

Model-decoding commands get a fast equivalent (the scripted backend instead of the embedded
model); commands that need a model server the user starts are only checked for their files.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
FAST_MODEL = "LD X0\nOR Y0\nANI X1\nOUT Y0\nEND\n"
SERVERS = ("ollama:", "openai:")


def blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(), re.S)


def commands(path: Path) -> list[str]:
    """Shell commands of the bash blocks, continuation lines joined."""
    found = []
    for block in blocks(path, "bash"):
        for cmd in block.replace("\\\n", " ").splitlines():
            if cmd.strip() and not cmd.lstrip().startswith("#"):
                found.append(cmd.strip())
    return found


def readme_commands() -> list[str]:
    return [c for c in commands(README) if c.startswith(".venv/bin/plcpilot")
            and not any(s in c for s in SERVERS)]


@pytest.fixture
def clone(tmp_path):
    """A working folder that sees the clone's files as a user's shell in the clone would."""
    for name in ("data", "examples", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    replies = tmp_path / "replies.yaml"
    replies.write_text(f"- {FAST_MODEL!r}\n".replace("'", '"'))
    return tmp_path


def test_readme_has_commands_to_run():
    assert len(readme_commands()) >= 8


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs_as_written(clone, command):
    cmd = command.replace(".venv/bin/plcpilot", f"{shlex.quote(sys.executable)} -m plcpilot")
    if " generate " in f" {command} " and "--model" not in command:  # the fast equivalent
        cmd = cmd.replace("-m plcpilot generate",
                          f"-m plcpilot generate --model scripted:{clone / 'replies.yaml'}", 1)
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run(["bash", "-c", cmd], cwd=clone, capture_output=True, timeout=300, env=env)
    text = r.stdout.decode() + r.stderr.decode()
    assert r.returncode in (0, 1), text  # a result (valid or not), never unusable input
    assert "Traceback" not in text


def test_readme_python_example_runs(clone):
    (code,) = blocks(README, "python")
    code = code.replace('model="embedded"', f'model="scripted:{clone / "replies.yaml"}"')
    r = subprocess.run([sys.executable, "-c", code], cwd=clone, capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().startswith("LD X0")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_name_only_files_a_clone_has(doc):
    missing = []
    for cmd in commands(doc):
        for word in shlex.split(cmd, comments=True):
            named = re.match(r"^(data|examples|docs|benchmarks|scripts)/[\w./-]+$", word)
            if named and not any(ch in word for ch in "*…") and not (ROOT / word).exists():
                missing.append(word)
    assert missing == []
    assert "../shared" not in "".join(commands(doc))


def test_help_texts_point_at_nothing_outside_the_clone():
    from typer.testing import CliRunner

    from plcpilot.cli import app

    runner = CliRunner()
    pages = [[], ["check"], ["simulate"], ["generate"], ["bench", "run"], ["agent", "decide"],
             ["agent", "run"], ["agent", "bench"], ["tasks", "verify"]]
    for args in pages:
        text = runner.invoke(app, [*args, "--help"]).output
        for outside in ("FORMATS.md", "IAS_PLANT.md", "../shared", "prog.il", "§"):
            assert outside not in text, (args, outside)
