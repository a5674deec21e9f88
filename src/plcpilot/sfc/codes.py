"""The SFC checker's diagnostic codes (plcpilot.diagnostics; `plcpilot explain sfc/CODE`)."""

from __future__ import annotations

from plcpilot.diagnostics import Code, code_table

CODES = code_table([
    Code("initial-steps", "error", "Not exactly one initial step",
         "An SFC starts from its initial step: with none, nothing ever runs; with several, "
         "several sequences start at once, which IEC 61131-3 allows but most charts do not "
         "mean (allow it with the multiple-initial option).",
         "Mark exactly one step `initial: true`."),
    Code("duplicate-step", "error", "Two steps share a name",
         "Transitions, jumps and `Step.X` flags name steps; two with one name are ambiguous.",
         "Rename one of them."),
    Code("bad-step-name", "error", "A step name the ST inside cannot use",
         "Step flags are read as Name.X and Name.T in ST, so a step may be named neither like "
         "a variable of the chart (IEC names ignore case) nor like an ST keyword (IF, RETURN, "
         "…).", "Rename the step, e.g. with a Step_ prefix."),
    Code("unknown-step", "error", "A transition or jump names a step that does not exist",
         "Every name in a transition's `from` and `to` (and a jump's target) must be a step of "
         "the chart.", "Correct the name, or add the step."),
    Code("no-source", "error", "A transition has no source step",
         "A transition takes its token from the steps above it; without one it can never "
         "fire.", "Give it a `from` step."),
    Code("no-target", "error", "A transition has no target step",
         "A transition that leads nowhere swallows the token: the chart stops there.",
         "Give it a `to` step, or a jump back to an earlier step."),
    Code("dead-end", "warning", "A step with no transition out of it",
         "Once active, the step stays active for ever (a final step). Usually a transition or "
         "jump was forgotten.", "Add a transition out of the step, or a jump back."),
    Code("never-entered", "warning", "A step no transition leads to",
         "A step that is not initial and that no transition enters can never become active.",
         "Connect it, or delete it."),
    Code("unpaired-convergence", "error",
         "A parallel convergence does not close one parallel divergence",
         "The steps a transition joins (its several `from` steps) must be the last steps of "
         "every branch of one parallel divergence, one per branch. Otherwise tokens pile up in "
         "one branch or the join waits for ever.",
         "Join exactly the branches that one transition opened (its several `to` steps)."),
    Code("mixed-regions", "error", "A step is reached from different parallel regions",
         "A step entered from inside a parallel region and from outside it (or from two "
         "different regions) breaks the pairing of divergences and convergences: tokens "
         "overflow or the join never fires. This includes a jump into or out of a parallel "
         "region.", "Leave a parallel region only through its convergence."),
    Code("unknown-action", "error", "A step uses an action that is not declared",
         "An action association names an action of the chart or a BOOL variable.",
         "Declare the action (actions: name + ST body) or the variable, or correct the name."),
    Code("unknown-transition", "error", "A transition refers to an undeclared named condition",
         "A transition's `reference` names one of the chart's named transitions.",
         "Declare it, or write the condition inline."),
    Code("missing-time", "error", "A timed qualifier without a time",
         "L, D, SD, DS and SL act for or after a duration, which the association must give.",
         "Add `time`, e.g. T#2s."),
    Code("needless-time", "warning", "A time on a qualifier that takes none",
         "Only L, D, SD, DS and SL use a time; it is ignored here.", "Remove it."),
    Code("st-error", "error", "ST in a condition or action does not check",
         "Conditions and actions are Structured Text checked against the chart's variables and "
         "step flags (Step.X, Step.T); the message quotes the ST checker's finding.",
         "Fix the ST as `plcpilot explain st/CODE` describes for the code quoted."),
])
