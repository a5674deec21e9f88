"""FX scan semantics (FX_SEMANTICS.md), one behaviour per test, through the public machine API."""

import pytest

from conftest import Scanner
from plcpilot.errors import PlcPilotError, SimulationLimit
from plcpilot.fxil.simulator import compile_program


def test_self_holding_circuit_latches_and_releases():
    s = Scanner("LD X0\nOR Y0\nANI X1\nOUT Y0\nEND")
    assert s.set(X0=1).run(scans=1)["Y0"] == 1
    assert s.set(X0=0).run(100)["Y0"] == 1
    assert s.set(X1=1).run(scans=1)["Y0"] == 0


def test_coil_is_visible_to_later_instructions_in_the_same_scan():
    s = Scanner("LD X0\nOUT M0\nLD M0\nOUT Y0\nEND")
    assert s.set(X0=1).run(scans=1)["Y0"] == 1


def test_orb_and_anb_combine_blocks():
    orb = "LD X0\nAND X1\nLD X2\nAND X3\nORB\nOUT Y0\nEND"
    assert Scanner(orb).set(X2=1, X3=1).run(scans=1)["Y0"] == 1
    assert Scanner(orb).set(X0=1, X3=1).run(scans=1)["Y0"] == 0
    anb = "LD X0\nOR X1\nLD X2\nOR X3\nANB\nOUT Y0\nEND"
    assert Scanner(anb).set(X1=1, X3=1).run(scans=1)["Y0"] == 1
    assert Scanner(anb).set(X0=1, X1=1).run(scans=1)["Y0"] == 0


def test_or_after_load_in_a_block_stays_inside_the_block():
    # (X0 AND X1) OR (X2 AND (X3 OR X4))
    p = "LD X0\nAND X1\nLD X2\nLD X3\nOR X4\nANB\nORB\nOUT Y0\nEND"
    assert Scanner(p).set(X2=1, X4=1).run(scans=1)["Y0"] == 1
    assert Scanner(p).set(X4=1).run(scans=1)["Y0"] == 0


def test_mps_mrd_mpp_branch_outputs():
    p = "LD X0\nMPS\nAND X1\nOUT Y0\nMRD\nAND X2\nOUT Y1\nMPP\nANI X3\nOUT Y2\nEND"
    s = Scanner(p).set(X0=1, X2=1).run(scans=1)
    assert (s["Y0"], s["Y1"], s["Y2"]) == (0, 1, 1)
    s.set(X0=0).run(scans=1)
    assert (s["Y0"], s["Y1"], s["Y2"]) == (0, 0, 0)


def test_edge_memory_belongs_to_each_instruction_instance():
    p = "LDP X0\nOUT M0\nLDP X0\nOUT M1\nLD M0\nAND M1\nOUT Y0\nEND"
    s = Scanner(p).set(X0=1).run(scans=1)
    assert s["Y0"] == 1  # both instances saw the edge in the same scan
    assert s.run(scans=1)["Y0"] == 0


def test_input_on_at_run_is_a_rising_edge_in_the_first_scan():
    s = Scanner("LDP X0\nSET Y0\nEND").set(X0=1).run(scans=1)
    assert s["Y0"] == 1


def test_falling_edge_contact_and_pls_plf():
    p = "LDF X0\nOUT M0\nLD X1\nPLS M1\nLD X1\nPLF M2\nEND"
    s = Scanner(p).set(X0=1, X1=1).run(scans=1)
    assert (s["M0"], s["M1"], s["M2"]) == (0, 1, 0)
    s.run(scans=1)
    assert (s["M0"], s["M1"], s["M2"]) == (0, 0, 0)
    s.set(X0=0, X1=0).run(scans=1)
    assert (s["M0"], s["M1"], s["M2"]) == (1, 0, 1)
    s.run(scans=1)
    assert (s["M0"], s["M2"]) == (0, 0)


def test_inv_and_mep_mef():
    p = "LD X0\nINV\nOUT Y0\nLD X0\nMEP\nOUT M0\nLD X0\nMEF\nOUT M1\nEND"
    s = Scanner(p).run(scans=1)
    assert s["Y0"] == 1
    s.set(X0=1).run(scans=1)
    assert (s["Y0"], s["M0"], s["M1"]) == (0, 1, 0)
    s.set(X0=0).run(scans=1)
    assert (s["M0"], s["M1"]) == (0, 1)


@pytest.mark.parametrize(("timer", "preset", "resolution_ms"), [
    ("T0", 20, 100), ("T200", 150, 10), ("T256", 700, 1)])
def test_timer_resolutions(timer, preset, resolution_ms):
    s = Scanner(f"LD X0\nOUT {timer} K{preset}\nLD {timer}\nOUT Y0\nEND").set(X0=1)
    total = preset * resolution_ms
    assert s.run(total - 30)["Y0"] == 0
    assert s.run(60)["Y0"] == 1


def test_timer_resets_when_coil_goes_off():
    s = Scanner("LD X0\nOUT T0 K10\nLD T0\nOUT Y0\nEND").set(X0=1).run(700)
    s.set(X0=0).run(20)
    assert s["T0"] == 0 and s.m.mem.TV[0] == 0
    s.set(X0=1).run(700)
    assert s["Y0"] == 0  # started again from zero


def test_retentive_timer_holds_its_value_until_rst():
    p = "LD X0\nOUT T250 K10\nLD T250\nOUT Y0\nLD X1\nRST T250\nEND"
    s = Scanner(p).set(X0=1).run(600).set(X0=0).run(2000)
    assert s.m.mem.TV[250] == 6 and s["Y0"] == 0
    s.set(X0=1).run(500)
    assert s["Y0"] == 1  # 600 + 500 ms accumulated
    s.set(X0=0, X1=1).run(20)
    assert s["T250"] == 0 and s.m.mem.TV[250] == 0


def test_timer_preset_k0_is_on_at_once_and_d_preset_is_read_each_scan():
    assert Scanner("LD X0\nOUT T1 K0\nEND").set(X0=1).run(scans=1)["T1"] == 1
    s = Scanner("LD X0\nOUT T2 D10\nEND").set(D10=30, X0=1).run(2900)
    assert s["T2"] == 0
    s.run(200)
    assert s["T2"] == 1
    s.set(D10=50).run(scans=1)
    assert s["T2"] == 0  # 3.1 s < new preset 5.0 s
    s.run(2000)
    assert s["T2"] == 1


def test_timer_not_executed_because_of_a_jump_resets():
    p = "LD X1\nCJ P0\nLD X0\nOUT T0 K10\nP0\nLD T0\nOUT Y0\nEND"
    s = Scanner(p).set(X0=1).run(800).set(X1=1).run(50).set(X1=0).run(800)
    assert s["Y0"] == 0


def test_counter_counts_rising_edges_stops_at_preset_and_resets():
    p = "LD X0\nOUT C0 K3\nLD C0\nOUT Y0\nLD X1\nRST C0\nEND"
    s = Scanner(p)
    for _ in range(2):
        s.set(X0=1).run(30).set(X0=0).run(30)
    assert s["Y0"] == 0 and s.m.mem.CV[0] == 2
    for _ in range(3):
        s.set(X0=1).run(30).set(X0=0).run(30)
    assert s["Y0"] == 1 and s.m.mem.CV[0] == 3
    s.set(X1=1).run(10)
    assert s["C0"] == 0 and s.m.mem.CV[0] == 0


def test_32bit_counter_counts_down_past_zero_and_contact_follows_value():
    p = "LD X2\nOUT M8200\nLD X0\nOUT C200 K2\nLD C200\nOUT Y0\nLD M8000\nDMOV C200 D0\nEND"
    s = Scanner(p)
    for _ in range(3):
        s.set(X0=1).run(20).set(X0=0).run(20)
    assert s["Y0"] == 1 and s["D0"] == 3  # counts past the preset
    s.set(X2=1)
    for _ in range(5):
        s.set(X0=1).run(20).set(X0=0).run(20)
    assert s["Y0"] == 0 and s["D0"] == -2 and s["D1"] == -1


def test_high_speed_counter_is_reported_not_simulated():
    s = Scanner("LD X0\nOUT C235 K5\nEND").set(X0=1).run(scans=2)
    assert any("C235" in n for n in s.m.notes)


def test_set_rst_and_rst_of_data_register():
    p = "LD X0\nSET M5\nLD X1\nRST M5\nLD X2\nMOV K7 D3\nLD X3\nRST D3\nEND"
    s = Scanner(p).set(X0=1, X2=1).run(scans=1).set(X0=0, X2=0).run(scans=1)
    assert s["M5"] == 1 and s["D3"] == 7
    s.set(X1=1, X3=1).run(scans=1)
    assert s["M5"] == 0 and s["D3"] == 0


def test_special_relays_first_scan_and_clocks():
    s = Scanner("LD M8002\nOUT M0\nLD M8013\nOUT Y0\nLD M8000\nOUT Y1\nEND").run(scans=1)
    assert (s["M0"], s["Y0"], s["Y1"]) == (1, 1, 1)
    s.run(scans=1)
    assert s["M0"] == 0
    s.run(500)
    assert s["Y0"] == 0  # second half of the 1 s period
    s.run(500)
    assert s["Y0"] == 1


def test_m8034_forces_all_outputs_off():
    s = Scanner("LD X0\nOUT M8034\nLD M8000\nOUT Y0\nEND").run(scans=1)
    assert s["Y0"] == 1
    assert s.set(X0=1).run(scans=1)["Y0"] == 0


def test_scan_time_registers_in_tenths_of_ms():
    assert Scanner("LD M8000\nMOV D8010 D0\nEND", scan_ms=20).run(scans=1)["D0"] == 200


def test_master_control_off_turns_coils_off_resets_timers_and_holds_latches():
    p = ("LD X0\nMC N0 M100\nLD X1\nOUT Y0\nLD X1\nOUT T0 K10\nLD X2\nSET Y1\nLD X1\n"
         "OUT C0 K2\nMCR N0\nLD X1\nOUT Y2\nEND")
    s = Scanner(p).set(X0=1, X1=1, X2=1).run(500)
    assert (s["Y0"], s["Y1"], s["M100"], s.m.mem.CV[0]) == (1, 1, 1, 1)
    s.set(X0=0).run(50)
    assert (s["Y0"], s["Y1"], s["M100"], s.m.mem.TV[0], s.m.mem.CV[0]) == (0, 1, 0, 0, 1)
    assert s["Y2"] == 1  # after MCR the bus is back


def test_nested_master_control():
    p = ("LD X0\nMC N0 M100\nLD X1\nMC N1 M101\nLD M8000\nOUT Y0\nMCR N1\nLD M8000\nOUT Y1\n"
         "MCR N0\nEND")
    s = Scanner(p).set(X0=1).run(scans=1)
    assert (s["Y0"], s["Y1"]) == (0, 1)
    s.set(X1=1).run(scans=1)
    assert (s["Y0"], s["Y1"]) == (1, 1)


STEPS = ("LD M8002\nSET S0\nSTL S0\nOUT Y0\nLD X0\nSET S20\nSTL S20\nOUT Y1\nOUT T0 K10\n"
         "LD T0\nSET S21\nSTL S21\nOUT Y2\nLD X1\nOUT S0\nRET\nEND")


def test_step_ladder_transfers_and_turns_outputs_of_left_steps_off():
    s = Scanner(STEPS).run(scans=1)
    assert (s["S0"], s["Y0"]) == (1, 1)
    s.set(X0=1).run(scans=1)
    assert (s["S0"], s["S20"]) == (0, 1)  # both were on during the scan, S0 reset at END
    s.run(scans=1)
    assert (s["Y0"], s["Y1"]) == (0, 1)
    s.set(X0=0).run(900)
    assert s["Y2"] == 0
    s.run(200)
    assert (s["Y1"], s["Y2"], s["S21"]) == (0, 1, 1)
    s.set(X1=1).run(scans=2)
    assert (s["S0"], s["S21"], s["Y0"], s["Y2"]) == (1, 0, 1, 0)


def test_both_steps_are_on_during_the_transfer_scan():
    p = "LD M8002\nSET S20\nSTL S20\nLD X0\nSET S21\nLD S20\nAND S21\nOUT M0\nRET\nEND"
    s = Scanner(p).run(scans=1).set(X0=1).run(scans=1)
    assert s["M0"] == 1 and s["S20"] == 0 and s["S21"] == 1


def test_m8040_inhibits_step_transfers():
    p = "LD X5\nOUT M8040\n" + STEPS.replace("LD M8002\n", "LD M8002\n", 1)
    s = Scanner(p).set(X5=1).run(scans=1).set(X0=1).run(scans=2)
    assert (s["S0"], s["S20"]) == (1, 0)


def test_parallel_branches_merge_with_consecutive_stl():
    p = ("LD M8002\nSET S0\nSTL S0\nLD X0\nSET S20\nSET S30\nSTL S20\nOUT Y0\nLD X1\nSET S21\n"
         "STL S30\nOUT Y1\nLD X2\nSET S31\nSTL S21\nSTL S31\nLD M8000\nSET S40\nSTL S40\nOUT Y4\n"
         "RET\nEND")
    s = Scanner(p).run(scans=1).set(X0=1).run(scans=2)
    assert (s["Y0"], s["Y1"]) == (1, 1)
    s.set(X1=1).run(scans=3)
    assert s["Y4"] == 0  # waits for the other branch
    s.set(X2=1).run(scans=3)
    assert (s["Y4"], s["S21"], s["S31"]) == (1, 0, 0)


def test_applied_arithmetic_16_and_32_bit():
    p = ("LD M8000\nMOV K25 D0\nMOV K10 D1\nADD D0 D1 D2\nSUB D1 D0 D3\nMUL D0 D1 D4\n"
         "DIV D0 D1 D6\nDMOV K100000 D10\nDADD D10 K1 D12\nDIV K-7 K2 D20\nEND")
    s = Scanner(p).run(scans=1)
    assert [s[f"D{i}"] for i in (2, 3, 4, 5, 6, 7)] == [35, -15, 250, 0, 2, 5]
    assert (s.m.mem.D[12] & 0xFFFF) + (s.m.mem.D[13] << 16) == 100001
    assert (s["D20"], s["D21"]) == (-3, -1)  # truncates toward zero


def test_add_wraps_and_sets_carry_division_by_zero_sets_error_flag():
    s = Scanner("LD M8000\nADD K32767 K1 D0\nDIV K5 K0 D2\nEND").run(scans=1)
    assert s["D0"] == -32768 and s["M8022"] == 1 and s["M8067"] == 1 and s["D2"] == 0


def test_pulse_form_executes_on_the_rising_edge_only():
    s = Scanner("LD X0\nINCP D0\nLD X0\nINC D1\nEND").set(X0=1).run(scans=5)
    assert (s["D0"], s["D1"]) == (1, 5)


def test_cmp_and_zcp_set_three_consecutive_bits():
    p = "LD M8000\nCMP D0 K10 M0\nZCP K5 K15 D0 Y6\nEND"
    s = Scanner(p).set(D0=3).run(scans=1)
    assert (s["M0"], s["M1"], s["M2"]) == (0, 0, 1)
    assert (s["Y6"], s["Y7"], s["Y10"]) == (1, 0, 0)  # octal neighbours
    s.set(D0=10).run(scans=1)
    assert (s["M0"], s["M1"], s["M2"], s["Y7"]) == (0, 1, 0, 1)


def test_comparison_contacts_16_and_32_bit():
    p = "LD>= D0 K100\nOUT Y0\nLD X0\nAND<> D0 K5\nOUT Y1\nLDD> D10 K70000\nOUT Y2\nEND"
    s = Scanner(p).set(D0=100, X0=1).run(scans=1)
    assert (s["Y0"], s["Y1"], s["Y2"]) == (1, 1, 0)
    s.set(D10=0x1170, D11=1).run(scans=1)  # 0x11170 = 70000
    assert s["Y2"] == 0
    s.set(D10=0x1171).run(scans=1)
    assert s["Y2"] == 1


def test_move_family_and_digit_specified_devices():
    p = ("LD M8000\nMOV K2X0 D0\nMOV D0 K2Y0\nFMOV K9 D10 K3\nBMOV D10 D20 K3\nLD X10\n"
         "ZRST D10 D12\nEND")
    s = Scanner(p).set(X0=1, X2=1, X7=1).run(scans=1)
    assert s["D0"] == 0b10000101 and (s["Y0"], s["Y1"], s["Y2"], s["Y7"]) == (1, 0, 1, 1)
    assert [s[f"D{i}"] for i in (10, 11, 12, 20, 22)] == [9, 9, 9, 9, 9]
    s.set(X10=1).run(scans=1)
    assert s["D20"] == 9  # ZRST runs after FMOV in the scan but BMOV copied before


def test_logic_rotate_and_shift_register():
    p = ("LD M8000\nWAND H00FF D0 D1\nLD X0\nROLP D2 K1\nLD X1\nSFTLP X2 M0 K4 K1\nEND")
    s = Scanner(p).set(D0=0x1234, D2=-32768).run(scans=1)
    assert s["D1"] == 0x34
    s.set(X0=1).run(scans=1)
    assert s["D2"] == 1 and s["M8022"] == 1
    s.set(X2=1, X1=1).run(scans=1).set(X1=0).run(scans=1)
    s.set(X2=0, X1=1).run(scans=1)
    assert (s["M0"], s["M1"], s["M2"]) == (0, 1, 0)


def test_alt_toggles_on_each_press_with_the_pulse_form():
    s = Scanner("LD X0\nALTP Y0\nEND")
    s.set(X0=1).run(50)
    assert s["Y0"] == 1
    s.set(X0=0).run(50).set(X0=1).run(50)
    assert s["Y0"] == 0


def test_subroutine_call_and_for_next_loop():
    p = ("LD X0\nCALL P1\nFOR K5\nLD M8000\nINC D1\nNEXT\nFEND\nP1\nLD M8000\nINC D0\nSRET\n"
         "END")
    s = Scanner(p).set(X0=1).run(scans=2)
    assert (s["D0"], s["D1"]) == (2, 10)


def test_endless_jump_loop_trips_the_watchdog_instead_of_hanging():
    m = compile_program("P0\nLD M8000\nCJ P0\nEND")()
    with pytest.raises(SimulationLimit, match="watchdog"):
        m.scan(0, 10)


def test_a_loop_longer_than_the_watchdog_time_trips_it_but_a_short_one_runs():
    """The watchdog counts the instructions loops run again (≈200 ms on an FX3U), not passes."""
    body = "LD M8000\nINC D0\n" * 10
    long = compile_program(f"LD M8000\nFOR K20000\n{body}NEXT\nEND")()
    with pytest.raises(SimulationLimit, match="watchdog"):
        long.scan(0, 10)
    s = Scanner(f"LD M8000\nFOR K1000\n{body}NEXT\nEND").run(scans=1)
    assert s["D0"] == 10_000


def test_module_instructions_are_reported_as_not_simulated():
    s = Scanner("LD M8000\nTO K0 K1 D0 K1\nEND").run(scans=1)
    assert s.m.notes == ["line 2: TO writes a special function module buffer (no modules are "
                         "simulated)"]


def test_program_with_check_errors_cannot_be_simulated():
    with pytest.raises(PlcPilotError, match="check error"):
        compile_program("LD X0\nBSET D0 K4\nEND")


def test_timelines_cannot_set_outputs():
    with pytest.raises(PlcPilotError, match="cannot set Y0"):
        compile_program("LD X0\nOUT Y0\nEND")().write("Y0", 1)


def test_digit_devices_zero_extend_in_32_bit_instructions():
    s = Scanner("LD M8000\nDMOV K4M0 D0\nMOV K4M0 D2\nEND").set(M15=1).run(scans=1)
    assert (s["D0"], s["D1"], s["D2"]) == (-32768, 0, -32768)


def test_32_bit_fill_of_digit_devices_steps_32_bits():
    s = Scanner("LD M8000\nDFMOV K100000 K8M100 K2\nEND").run(scans=1)
    first = sum(s[f"M{100 + k}"] << k for k in range(32))
    second = sum(s[f"M{132 + k}"] << k for k in range(32))
    assert first == second == 100000 and s["M164"] == 0


# ---- operation errors: the FX does not execute the instruction, flags it and scans on --------

def operation_error(program: str, scans: int = 1, **inputs: int) -> Scanner:
    return Scanner(program).set(**inputs).run(scans=scans)


@pytest.mark.parametrize("program", [
    "LD M8000\nMOV K20000 D1\nBMOV D10 D100 D1\nINC D200\nEND",
    "LD M8000\nMOV K20000 D1\nFMOV K7 D100 D1\nINC D200\nEND",
    "LD M8000\nMOV K-1 D1\nBMOV D10 D100 D1\nINC D200\nEND",
    "LD M8000\nMOV K0 D1\nFMOV K7 D100 D1\nINC D200\nEND",
])
def test_a_count_a_register_supplies_out_of_range_is_operation_error_6706(program):
    s = operation_error(program)
    assert (s["M8067"], s["D8067"], s["D8069"]) == (1, 6706, 3)
    assert s["D100"] == 0 and s["D200"] == 1  # not executed; the scan went on
    assert len(s.m.notes) == 1 and s.m.notes[0].startswith("line 3: operation error 6706: ")


def test_a_block_move_past_the_last_register_names_where_it_ends():
    s = operation_error("LD M8000\nMOV K20 D1\nBMOV D7990 D100 D1\nEND")
    assert s["D8067"] == 6706
    assert s.m.notes == ["line 3: operation error 6706: BMOV reaches D8009, past D7999"]


def test_a_shift_by_more_bits_than_the_register_holds_is_an_operation_error():
    s = operation_error("LD M8000\nMOV K8 D1\nSFTL X0 M0 K4 D1\nEND", X0=1)
    assert (s["M8067"], s["D8067"], s["M0"]) == (1, 6706, 0)
    assert "n2 must be 1..4" in s.m.notes[0]


def test_a_jump_into_a_for_body_reaches_next_without_for_error_6709():
    s = operation_error("LD M8000\nCJ P1\nFOR K2\nP1\nLD M8000\nINC D0\nNEXT\nEND", scans=2)
    assert (s["D0"], s["M8067"], s["D8067"]) == (2, 1, 6709)
    assert s.m.notes == ["line 7: operation error 6709: NEXT without a running FOR (a jump "
                         "entered the loop body)"]


def test_sret_without_call_and_calls_nested_too_deep_are_error_6709():
    no_fend = operation_error("LD X0\nCALL P1\nP1\nLD M8000\nINC D0\nSRET\nEND")
    assert (no_fend["D0"], no_fend["D8067"]) == (1, 6709) and "SRET" in no_fend.m.notes[0]
    recursive = operation_error("LD M8000\nCALL P1\nFEND\nP1\nLD M8000\nINC D0\nCALL P1\nSRET\n"
                                "END")
    assert (recursive["D0"], recursive["D8067"]) == (5, 6709)  # five levels, then refused
    assert "CALL nested deeper than 5" in recursive.m.notes[0]


def test_m8068_latches_the_first_error_while_d8069_follows_the_latest():
    s = operation_error("LD M8000\nDIV K1 K0 D0\nENCO D2 D3 K4\nEND")
    assert (s["M8067"], s["M8068"], s["D8068"], s["D8069"]) == (1, 1, 2, 3)
    assert [n.split(":")[0] for n in s.m.notes] == ["line 2", "line 3"]
    assert "DIV 1 by zero" in s.m.notes[0] and "no bit of D2 is on" in s.m.notes[1]


def test_an_operation_error_is_noted_once_however_often_it_repeats():
    s = operation_error("LD M8000\nDIV K1 K0 D0\nEND", scans=100)
    assert s.m.notes == ["line 2: operation error 6706: DIV 1 by zero"]


def test_zrst_with_the_first_device_after_the_last_resets_only_the_first():
    s = Scanner("LD M8002\nSET M1\nSET M2\nSET M3\nLD X0\nZRST M3 M1\nEND").run(scans=1)
    s.set(X0=1).run(scans=1)
    assert (s["M1"], s["M2"], s["M3"]) == (1, 1, 0)


def test_deco_reads_n_bits_of_a_bit_source_and_n0_does_nothing():
    p = "LD M8000\nDECO X0 M10 K2\nDECO D0 D1 K0\nEND"
    s = Scanner(p).set(X0=1, X1=1, X2=1, D1=5).run(scans=1)  # X2 is beyond n = 2 bits
    assert [s[f"M{10 + k}"] for k in range(5)] == [0, 0, 0, 1, 0] and s["D1"] == 5


def test_encode_gives_the_highest_bit_on():
    s = Scanner("LD M8000\nENCO M0 D0 K3\nENCO D1 D2 K4\nEND").set(M2=1, M6=1, D1=0x0A).run(
        scans=1)
    assert (s["D0"], s["D2"], s["M8067"]) == (6, 3, 0)


# ---- what a timeline may name and write --------------------------------------------------------

@pytest.mark.parametrize(("name", "cpu"), [
    ("D9000", "fx3u"), ("X400", "fx3u"), ("T600", "fx3u"), ("M8600", "fx3u"), ("D9999", "fx3u"),
    ("S5000", "fx3u"), ("M5000", "fx2n"), ("D" + "9" * 5000, "fx3u"), ("K4M0", "fx3u"),
])
def test_a_timeline_naming_a_device_the_cpu_lacks_gets_a_clear_error(name, cpu):
    machine = compile_program("LD X0\nOUT Y0\nEND", cpu=cpu)()
    with pytest.raises(PlcPilotError, match="test names"):
        machine.read(name)
    with pytest.raises(PlcPilotError, match="test names"):
        machine.write(name, 0)


@pytest.mark.parametrize(("name", "value"), [
    ("X0", 2), ("M0", -1), ("D0", 40000), ("D0", -32769), ("V0", 2**40), ("D0", True)])
def test_a_timeline_value_the_device_cannot_hold_is_refused(name, value):
    with pytest.raises(PlcPilotError, match=name):
        compile_program("LD X0\nOUT Y0\nEND")().write(name, value)


def test_timeline_values_at_the_device_limits_are_written():
    s = Scanner("LD X0\nOUT Y0\nEND").set(X0=True, M7679=1, D0=-32768, D7999=32767, Z7=1)
    assert (s["X0"], s["M7679"], s["D0"], s["D7999"], s["Z7"]) == (1, 1, -32768, 32767, 1)
