"""The command line against unusual and hostile input, as a user or attacker would try it:
every case ends in a result or a clear message with exit 2, never a traceback."""

import json
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, cli

BC = ROOT / "data" / "tasks" / "fx-il" / "basic_control.yaml"
MARKUP = ["[/x]", "[red]", "[hh:mm:ss]", "[bold]x[/bold]", ":smile:"]


def no_traceback(r: subprocess.CompletedProcess) -> str:
    text = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    assert "Traceback" not in text, text
    return text


# ---- user text is never markup -------------------------------------------------------------

@pytest.mark.parametrize("tag", MARKUP)
def test_markup_in_a_path_is_printed_as_written(tmp_path, tag):
    folder = tmp_path / f"a{tag}b"
    folder.mkdir(parents=True)
    prog = folder / "p.il"
    prog.write_text("LD X0\nOUT Y0\nOUT Y0\nEND\n")
    r = cli("check", prog)
    assert r.returncode == 0 and str(prog) in no_traceback(r)
    r = cli("check", folder / "missing.il")
    assert r.returncode == 2 and str(folder / "missing.il") in no_traceback(r)


@pytest.mark.parametrize("tag", MARKUP)
def test_markup_in_an_operand_a_task_id_and_a_test_name_survives(tmp_path, tag):
    r = cli("check", "-", input=f"LD X0\nMOV {tag} D0\nEND\n")
    assert r.returncode == 1 and tag in no_traceback(r)
    tasks = tmp_path / "t.yaml"
    tasks.write_text(json.dumps([{"id": f"id{tag}", "prompt": "p", "tests": [
        {"name": f"test {tag}", "timeline": [{"at_ms": 100, "expect": {"Y0": 1}}]}]}]))
    prog = tmp_path / "p.il"
    prog.write_text("LD X0\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", tasks)
    assert r.returncode == 1 and f"test {tag}" in no_traceback(r)
    r = cli("simulate", prog, "--tests", tasks, "--task", f"id{tag}!")  # did you mean …
    assert r.returncode == 2 and f"id{tag}" in no_traceback(r)


@pytest.mark.parametrize("tag", MARKUP)
def test_markup_in_a_station_name_and_a_log_line_survives(tmp_path, tag):
    log = tmp_path / "log.txt"
    log.write_text(f"[CNC Station][System][00:00:01] hello {tag}\n")
    r = cli("agent", "decide", "--station", f"CNC{tag}", "--log", log, "--mode", "sop")
    assert r.returncode == 2 and f"CNC{tag}" in no_traceback(r)
    log.write_text(f"not a line {tag}\n")
    r = cli("agent", "decide", "--station", "CNC Station", "--log", log, "--mode", "sop")
    text = no_traceback(r)
    assert r.returncode == 2 and tag in text
    assert "[<Station>][<System|Operator|Manager>][hh:mm:ss]" in text  # the example survives


# ---- output files, options and ports -------------------------------------------------------

@pytest.mark.parametrize(("option", "target", "needle"), [
    ("--trace", ".", "is a directory"),
    ("--plot", "missing/dir/x.png", "does not exist"),
])
def test_output_files_are_checked_before_any_work(tmp_path, option, target, needle):
    prog = tmp_path / "p.il"
    prog.write_text("LD X0\nOR Y0\nANI X1\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", BC, "--task", "bc-001", option, tmp_path / target)
    assert r.returncode == 2 and needle in no_traceback(r)


def test_a_signal_beyond_the_memory_is_a_clear_error(tmp_path):
    prog = tmp_path / "p.il"
    prog.write_text("LD X0\nOUT Y0\nEND\n")
    r = cli("simulate", prog, "--tests", BC, "--task", "bc-001", "--trace", tmp_path / "t.csv",
            "--signals", "Y0,D9999")
    assert r.returncode == 2 and "D9999" in no_traceback(r)


@pytest.mark.parametrize("args", [
    ["generate", "x", "--temperature", "-1"],
    ["generate", "x", "--max-tokens", "0"],
    ["generate", "x", "--repair", "-1"],
    ["bench", "run", "--tasks", "t", "--model", "m", "--mode", "rag", "--out", "o",
     "--samples", "0"],
    ["agent", "serve", "--port", "99999"],
    ["check", "-", "--max-bytes", "0"],
    ["check", "-", "--format", "xml"],
])
def test_out_of_range_options_are_usage_errors(args):
    r = cli(*args, input="LD X0\n")
    assert r.returncode == 2 and "Usage" in no_traceback(r)


def test_a_port_already_in_use_is_one_clear_line():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        r = cli("agent", "serve", "--port", port, "--scenario", "CNC Station")
    finally:
        holder.close()
    text = no_traceback(r)
    assert r.returncode == 2 and "address already in use" in text and "another port" in text


# ---- missing optional packages -------------------------------------------------------------

def run_without(module: str, *args: str) -> subprocess.CompletedProcess:
    """The CLI with `module` not installed (its import fails as a missing package's does)."""
    code = (f"import sys; sys.modules[{module!r}] = None; sys.argv = ['plcpilot', *{args!r}]; "
            "from plcpilot.cli import main; main()")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize(("module", "args", "extra"), [
    ("asyncua", ["agent", "serve", "--port", "4999"], "plant"),
    ("llama_cpp", ["generate", "Lamp Y0 follows X0.", "--no-rag"], "llm"),
    ("httpx", ["generate", "x", "--no-rag", "--model", "openai:http://127.0.0.1:9/v1#m"], "llm"),
])
def test_a_missing_optional_package_names_the_extra(module, args, extra):
    r = run_without(module, *args)
    text = no_traceback(r)
    assert r.returncode == 2 and f"plcpilot[{extra}]" in text


# ---- input decoding ------------------------------------------------------------------------

PROGRAM = "LD X0\nOUT Y0\nEND\n"


@pytest.mark.parametrize("data", [
    PROGRAM.encode("utf-16"),  # with a byte-order mark: recognised on its own
    "\ufeff".encode("utf-16-be") + PROGRAM.encode("utf-16-be"),
])
def test_utf16_with_a_byte_order_mark_needs_no_option(tmp_path, data):
    f = tmp_path / "p.il"
    f.write_bytes(data)
    assert cli("check", f).returncode == 0


def test_utf16_without_a_mark_reads_with_the_encoding_and_is_explained_without(tmp_path):
    f = tmp_path / "p.il"
    f.write_bytes(PROGRAM.encode("utf-16-le"))
    assert cli("check", f, "--encoding", "utf-16-le").returncode == 0
    r = cli("check", f)
    assert r.returncode == 2 and "--encoding utf-16-le" in no_traceback(r)


def test_a_log_on_standard_input_is_bounded_and_checked_like_a_file():
    line = "[CNC Station][System][00:00:01] Sensor BG56 detected a workpiece.\n"
    r = cli("agent", "decide", "--station", "CNC Station", "--log", "-", "--mode", "sop",
            "--max-bytes", "100", input=line * 10)
    text = no_traceback(r)
    assert r.returncode == 2 and "event log" in text and "--max-bytes" in text
    r = cli("agent", "decide", "--station", "CNC Station", "--log", "-", "--mode", "sop",
            input=b"\x00\x01binary")
    text = no_traceback(r)
    assert r.returncode == 2 and "binary" in text and "GX Works" not in text


# ---- model servers -------------------------------------------------------------------------

def test_an_unreachable_server_is_reported_as_such_at_once_even_with_a_grammar():
    started = time.monotonic()
    r = cli("generate", "Lamp Y0 follows X0.", "--model",
            "openai:http://127.0.0.1:9/v1#m?retries=0&timeout=2")
    text = no_traceback(r)
    assert r.returncode == 2 and "cannot reach http://127.0.0.1:9/v1" in text
    assert "constraint" not in text
    assert time.monotonic() - started < 30  # no retrieval index is built first


# ---- long runs: progress on stderr, finished rounds kept -----------------------------------

def slow_replies(tmp_path, rate: float = 4.0) -> str:
    f = tmp_path / "replies.yaml"
    f.write_text(json.dumps(["LD X0\nOR Y0\nOUT Y0\nEND\n"]))  # fails bc-001: no stop button
    return f"scripted:{f}?tokens_per_s={rate}"


def test_generate_shows_progress_on_stderr_and_keeps_json_clean(tmp_path):
    r = cli("generate", "--tests", BC, "--task", "bc-001", "--no-rag", "--repair", "1",
            "--json", "--model", slow_replies(tmp_path, 1000))
    assert r.returncode == 1
    result = json.loads(r.stdout)
    assert len(result["attempts"]) == 2
    progress = no_traceback(r)
    for stage in ("round 1/2: decoding", "round 2/2: simulating", "round 2/2: 7 tokens"):
        assert stage in progress


def test_generate_piped_to_a_file_gives_the_program_only(tmp_path):
    r = cli("generate", "--tests", BC, "--task", "bc-001", "--no-rag", "--repair", "0",
            "--model", slow_replies(tmp_path, 1000))
    assert r.stdout.decode() == "LD X0\nOR Y0\nOUT Y0\nEND\n"
    assert "0/2 tests passed" in r.stderr.decode()


def test_a_terminated_generate_keeps_its_finished_rounds(tmp_path):
    program = tmp_path / "out" / "p.il"
    program.parent.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plcpilot", "generate", "--tests", str(BC), "--task", "bc-001",
         "--no-rag", "--repair", "5", "--json", "-o", str(program), "--model",
         slow_replies(tmp_path, 4.0)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    report = program.with_name("p.report.json")
    deadline = time.monotonic() + 60
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.terminate()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    result = json.loads(stdout)
    assert result["interrupted"] is True and 1 <= len(result["attempts"]) < 6
    saved = json.loads(report.read_text())
    assert len(saved["attempts"]) >= 1 and program.read_text() == "LD X0\nOR Y0\nOUT Y0\nEND\n"
    assert b"interrupted after round" in stderr


# ---- editors, CI and pipes -----------------------------------------------------------------

def test_check_takes_folders_and_exits_with_the_worst(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "good.il").write_text(PROGRAM)
    (tmp_path / "sub" / "bad.il").write_text("LD X0\nMPS\nOUT Y0\nEND\n")
    (tmp_path / "notes.txt").write_text("not a program")
    r = cli("check", tmp_path, "--format", "text")
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 1
    assert any(line.startswith(f"{tmp_path / 'sub' / 'bad.il'}:2:1: error: ")
               and line.endswith("[stack-unbalanced]") for line in lines), lines
    (tmp_path / "empty.il").write_text("")
    r = cli("check", tmp_path, "--json")
    entries = json.loads(r.stdout)
    assert r.returncode == 2 and {e["file"].rsplit("/", 1)[-1] for e in entries} == {
        "good.il", "bad.il", "empty.il"}
    assert "empty" in next(e for e in entries if e["file"].endswith("empty.il"))["error"]


def test_check_writes_sarif_for_code_scanning(tmp_path):
    f = tmp_path / "bad.il"
    f.write_text("LD X0\nMPS\nOUT Y0\nEND\n")
    sarif = json.loads(cli("check", f, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    result = run["results"][0]
    assert result["ruleId"] == "stack-unbalanced" and result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 2 and region["startColumn"] >= 1
    assert run["tool"]["driver"]["rules"][0]["id"] == "stack-unbalanced"


def test_version_completion_and_the_code_list():
    assert cli("--version").stdout.decode().startswith("plcpilot ")
    assert "--install-completion" in cli("--help").stdout.decode()
    listed = cli("explain", "--list").stdout.decode()
    assert "stack-unbalanced" in listed and "double-coil" in listed


def test_piped_output_is_not_wrapped(tmp_path):
    deep = tmp_path / ("a-rather-long-folder-name-" * 4)
    deep.mkdir()
    prog = deep / "program-with-a-long-name.il"
    prog.write_text("LD X0\nMPS\nOUT Y0\nEND\n")
    out = cli("check", prog).stdout.decode()
    assert str(prog) in out.splitlines()[0]  # the whole path on the verdict's line


def test_a_file_no_language_claims_is_checked_with_a_note_not_a_silent_guess(tmp_path):
    f = tmp_path / "chart.xml"
    f.write_text("<project/>\n")
    r = cli("check", f)
    assert r.returncode == 1 and "no installed language has this file ending" in no_traceback(r)
    assert "--lang" in r.stderr.decode()
