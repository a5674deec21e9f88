"""FX IL diagnostic codes, defined once: report, `plcpilot explain`, docs and repair feedback."""

from plcpilot.diagnostics import Code, code_table

E, W = "error", "warning"

CODES = code_table([
    Code("unknown-mnemonic", E, "Unknown instruction",
         "The first word of the line is not an FX instruction in the table for this CPU.",
         "Use an FX mnemonic (see `plcpilot explain` docs); e.g. FX has no JMP (use CJ Pn), "
         "no BSET/SHL (use SET on a bit device, SFTL/ROL)."),
    Code("not-on-cpu", E, "Instruction not available on this CPU",
         "The instruction exists in the FX family but not on the selected CPU model.",
         "Select the CPU with --cpu fx3u, or replace the instruction."),
    Code("operand-count", E, "Wrong number of operands",
         "Each mnemonic takes a fixed number of operands (OUT takes a coil, or a timer/counter "
         "and its preset).", "Give exactly the operands the instruction takes."),
    Code("operand-syntax", E, "Operand is not a device or constant",
         "Operands are devices (X0, Y7, M100, S20, T0, C0, D10, P0, N0, K4M0) or constants "
         "(K123, H1F).", "Write the device with its letter and number, constants as K or H."),
    Code("operand-device", E, "Device class not allowed here",
         "This operand position accepts only certain device classes (e.g. OUT cannot drive an "
         "input X; MOV cannot write a constant).", "Use a device class the instruction accepts."),
    Code("operand-range", E, "Device number out of range",
         "The device number does not exist on the selected CPU.",
         "Use a device inside the CPU's range (FX3U: M0-M7679, D0-D7999, T0-T511, C0-C255 ...)."),
    Code("octal-digit", E, "X/Y numbered in octal",
         "Inputs and outputs are numbered in octal: X0-X7, X10-X17, ... X8/X9 do not exist.",
         "Renumber: the ninth input is X10."),
    Code("constant-range", E, "Constant out of range",
         "16-bit instructions take K-32768..K32767 (H0..HFFFF); D-forms take 32-bit constants; "
         "timer/counter presets are 1..32767 (K0 allowed for timers). Counts have their own "
         "ranges: BMOV/FMOV n 1-512, SFTL/SFTR n1 1-1024 and n2 <= n1, ROL/ROR n 0-15 (0-31 "
         "in the D-form), DECO/ENCO n 0-8 with a bit device and 0-4 with a word device.",
         "Use the 32-bit D-form, a register preset, or a constant in range."),
    Code("missing-preset", E, "Timer/counter coil needs a preset",
         "OUT Tn and OUT Cn take a preset (K constant or D register); other coils take none.",
         "Write OUT T0 K50 (5 s for a 100 ms timer) or OUT C0 K10."),
    Code("first-not-load", E, "Program starts with a series/parallel/stack instruction",
         "The first instruction must start a network (LD, LDI, LDP, LDF, a comparison LD, STL); "
         "AND, OR, ANB, ORB, MRD, MPP need a preceding result.",
         "Start the program with LD/LDI."),
    Code("no-condition", E, "Instruction without a driving condition",
         "Contacts in series/parallel, outputs and applied instructions need a preceding load "
         "in the same network.", "Start the network with LD (LD M8000 for 'always')."),
    Code("block-stack", E, "Unbalanced ANB/ORB blocks",
         "Each LD inside a network opens a block; ANB/ORB join the last two. A block left "
         "unjoined before an output, or ANB/ORB with only one block, is a program error.",
         "Join every block opened with LD by one ANB or ORB before the output."),
    Code("stack-unbalanced", E, "Unbalanced MPS/MRD/MPP",
         "MPS pushes the result (depth 11); MRD reads and MPP pops it. Every MPS needs an MPP "
         "in the same network; MRD/MPP need a preceding MPS. ORB/ANB do not pop it.",
         "Close each MPS with MPP before the next network; for OR of series blocks use ORB."),
    Code("stl-without-ret", E, "Step ladder not closed by RET",
         "A run of STL steps must end with RET before END/FEND.", "Add RET after the last step."),
    Code("ret-without-stl", E, "RET without step ladder",
         "RET closes a step ladder (STL) region. Subroutines return with SRET.",
         "Use SRET to return from a subroutine, or remove RET."),
    Code("mc-nesting", E, "MC/MCR nesting error",
         "Master controls nest in order N0, N1, ... N7; MCR Nk closes level k and those inside "
         "it; every MC must be closed before END.",
         "Pair each MC Nk with MCR Nk, nested in order."),
    Code("mc-in-stl", E, "MC inside a step ladder",
         "MC/MCR cannot be used between STL and RET.",
         "Move the master control out of the steps."),
    Code("for-next", E, "FOR/NEXT not paired",
         "Every FOR needs a NEXT after it (nesting at most 5 deep), every NEXT a FOR before it.",
         "Close each FOR Kn loop with NEXT."),
    Code("missing-end", E, "No END instruction",
         "Every FX program ends with END (FEND ends the main program before subroutines).",
         "Add END as the last line."),
    Code("undefined-pointer", E, "Jump/call to a missing pointer",
         "CJ Pn and CALL Pn need a pointer label Pn in the program.",
         "Add the label line `Pn` before the target instruction."),
    Code("duplicate-pointer", E, "Pointer label used twice",
         "Each pointer label Pn marks exactly one place.", "Renumber one of the labels."),
    Code("bad-label", E, "Numbered label is not FX syntax",
         "Labels such as `2:` are not FX IL; jump and subroutine targets are pointers P0-P4095.",
         "Write the label as `P2` and jump with CJ P2 / CALL P2 (return with SRET)."),
    Code("duplicate-step", E, "State used as a step twice",
         "Each state relay S is one step: `STL S20` may head one step only (GX Works rejects "
         "a second). Consecutive STL lines that merge parallel branches are not steps of their "
         "own and may name states that have their steps elsewhere.",
         "Give the second step its own state number, or merge the two steps' actions."),
    Code("unclosed-comment", E, "Block comment never closed",
         "A `(*` comment runs to the next `*)`; without one, everything after `(*` is comment "
         "and none of it is read.", "Close the comment with `*)`, or use `;` for a line comment."),
    Code("no-code", E, "No instructions found",
         "Nothing in the input reads as FX IL: every line was empty, a comment or prose.",
         "Give the program as one instruction per line, e.g. `LD X0` / `OUT Y0` / `END`."),
    Code("double-coil", W, "Coil driven twice",
         "The same Y/M coil is driven by OUT in two places; only the last one counts in a scan "
         "(allowed in different STL steps).", "Combine the conditions into one OUT."),
    Code("timer-twice", W, "Timer/counter coil driven twice",
         "The same timer or counter coil appears in two OUT instructions; they fight each scan.",
         "Drive each timer/counter from one OUT; use contacts in parallel for several conditions."),
    Code("set-and-out", W, "Device both SET and driven by OUT",
         "A device latched by SET/RST and also driven by OUT: OUT overwrites the latch each scan.",
         "Use either OUT (self-holding circuit) or SET/RST for one device."),
    Code("after-end", W, "Unreachable code after END",
         "Instructions after END never run.", "Move them before END or delete them."),
    Code("dangling-condition", W, "Condition drives nothing",
         "Contacts were loaded but no output, applied instruction or ANB/ORB used them.",
         "Add the output the condition is for, or delete the contacts."),
    Code("prose-skipped", W, "Lines skipped as prose",
         "Lines that read as sentences rather than instructions were ignored.",
         "Put explanations in comments (`; text` or `// text`)."),
])
