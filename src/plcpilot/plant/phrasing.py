"""The plant's event log said in other words: a log-phrasing generator for measuring understanding.

Our simulator writes every event in one fixed sentence ("BG56 detects a carrier at the infeed of
conveyor C1."), and an operator agent tuned on those logs can score well by matching our sentences
rather than by understanding the events. Real plant logs say the same things in other words, in
other layouts, with tags missing and lines cut short. This module parses each of the simulator's
own sentences into an event key and its slots (`parse`), and writes the event again from templates
in several genuinely different styles (`render`, `rephrase`), keeping everything that carries
meaning: sensor ids, component names, the called function, success or failure, the task's
parameters, shelf ids and free text verbatim.

The styles are split in two halves. `DEV_STYLES` (five: terse HMI messages, full sentences,
shift-log notes, the English of a non-native engineer's lab log, lowercase syslog-like machine
lines) are for development; `HELD_OUT_STYLES` (three: passive reports, MES notes, key=value event
records) are never tuned on. Tune prompts, rules or parsers on the dev half only and report results
on the held-out half: a score on it is an honest measure of understanding events worded in ways
nobody tuned for; a score on the dev half is not. The templates were written without reading the
code that has to understand them, for the same reason.

A sentence `parse` does not know is an error naming it, never passed through: when the simulator
gains a sentence, the tests say so and a pattern and templates are due here.

API: `rephrase(events, half, seed)` (a whole log), `render(event, style, rng)` (one line),
`parse(text)`, `keys()`, `STYLES` / `DEV_STYLES` / `HELD_OUT_STYLES`, and the data: `SENTENCES`
(key -> the simulator's sentence) and `TEMPLATES` (key -> style -> format strings).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

from plcpilot.errors import PlcPilotError
from plcpilot.plant.eventlog import Event

# The simulator's own sentences (simulator.py, plant_run.py, the `faults:` lines of plant.yaml):
# event key -> the whole sentence, its slots as named groups.
_ID = r"(?P<sensor>BG\d+)"
_THING = r"(?P<thing>workpiece|carrier)"
SENTENCES: dict[str, str] = {
    # sensors
    "sensor_infeed": rf"{_ID} detects a {_THING} at the infeed of conveyor (?P<conveyor>C\d)\.",
    "sensor_holder": rf"{_ID} detects a {_THING} at holder (?P<holder>H\d) "
                     r"on conveyor (?P<conveyor>C\d)\.",
    "sensor_outlet": rf"{_ID} detects a {_THING} at the outlet of conveyor (?P<conveyor>C\d)\.",
    "sensor_belt": rf"{_ID} detects a {_THING} on conveyor (?P<conveyor>C\d)\.",
    "sensor_pass": rf"A workpiece passes {_ID}\.",
    # conveyors, holders, the switch
    "conveyor_run": r"Conveyor (?P<conveyor>C\d) starts running for (?P<seconds>\d+) seconds\.",
    "conveyor_reverse": r"Conveyor (?P<conveyor>C\d) starts running in reverse "
                        r"for (?P<seconds>\d+) seconds\.",
    "holder_released": r"Holder (?P<holder>H\d) is released\.",
    "switch_set": r"Switch (?P<switch>S\d) is set to (?P<position>divert|continue)\.",
    # the transport robot
    "robot_requested": r"Transport request is sent to the robot\.",
    "request_received": r"Transport request received from (?P<station>.+)\.",
    "robot_drives": r"The robot drives to (?P<place>.+)\.",
    "robot_docked": r"Robot has docked with (?P<place>.+)\.",
    "robot_loaded": r"The workpiece is loaded securely\.",
    "robot_no_workpiece": r"The robot finds no workpiece to load at (?P<place>.+)\.",
    "robot_unloaded": r"The workpiece is unloaded at (?P<place>.+)\.",
    "robot_unloads_onto": r"The robot unloads the workpiece onto conveyor (?P<conveyor>C\d)\.",
    "robot_takes": r"The robot loads the workpiece from conveyor (?P<conveyor>C\d)\.",
    "workpiece_waits": r"The workpiece waits at the end of conveyor (?P<conveyor>C\d)\.",
    "workpiece_leaves": r"The workpiece leaves the (?P<station>.+)\.",
    "c4_not_reached": r"No workpiece reached the end of (?P<conveyor>C\d) at (?P<place>.+)\.",
    # storage
    "stock_position": r"Workpiece '(?P<name>[^']*)' is stored at shelf (?P<shelf>[A-D]_\d+)\.",
    "shelf_free": r"Shelf (?P<shelf>[A-D]_\d+) is free\.",
    "picked_shelf": r"Workpiece '(?P<name>[^']*)' is picked from shelf (?P<shelf>[A-D]_\d+)\.",
    "picked_carrier": r"Workpiece '(?P<name>[^']*)' is picked from the carrier\.",
    "placed_carrier": r"Workpiece '(?P<name>[^']*)' is placed onto the carrier\.",
    "placed_shelf": r"Workpiece '(?P<name>[^']*)' is placed onto shelf (?P<shelf>[A-D]_\d+)\.",
    "arm_missed": r"The robot arm finds no workpiece at (?P<position>.+)\.",
    "arm_home": r"The robot arm is back at its home position\.",
    "rfid_verified": r"The RFID tag is verified\.",
    "import_verified": r"Import is verified\.",
    "import_mismatch": r"Import verification failed: the name does not match\.",
    "export_verified": r"Export is verified\.",
    # inspection
    "rfid_info": r"RFID info is retrieved: (?P<check>.+)\.",
    "inspection_passed": r"Inspection is completed: the workpiece passed\.",
    # machines
    "workpiece_verified": r"Workpiece is verified for (?P<process>machining|painting)\.",
    "machine_ready": r"(?P<machine>CNC|Painting) machine is ready\.",
    "machine_loaded": r"Workpiece is loaded into the (?P<machine>CNC|painting) machine\.",
    "machine_missed": r"The machine finds no workpiece to load\.",
    "process_finished": r"(?P<process>Machining|Painting) is finished\.",
    "unloaded": r"Workpiece is unloaded\.",
    # escalation
    "alert_sent": r"Alert sent to the supervisor: (?P<reason>.+)\.",
    "emergency_stopped": r"Emergency stop: all actuators are stopped\.",
    # faults: the keys are plant.yaml's fault names
    "conveyor_stuck": r"Conveyor (?P<conveyor>C\d) does not move: the motor draws no current\.",
    "holder_stuck": r"Holder (?P<holder>H\d) fails to release\.",
    "switch_stuck": r"Switch (?P<switch>S\d) fails to divert\.",
    "rfid_read": r"(?P<reader>TF\d+) fails to read the RFID tag of the workpiece\.",
    "rfid_verify": r"RFID verification failed: the tag does not match the order\.",
    "not_in_stock": r"Workpiece '(?P<name>[^']*)' is not in stock\.",
    "arm_exception": r"The robot arm raises an exception: gripper position error\.",
    "robot_request": r"The request to the transport robot cannot be sent\.",
    "communication": r"Communication with the (?P<device>.+) is lost\.",
    "electrical": r"Power supply failure: the (?P<volts>\d+) V rail has dropped\.",
    "timeout": r"No event for (?P<seconds>\d+) seconds since the last command\.",
    "process_stop": r"The (?P<machine>CNC|painting) process stops unexpectedly\.",
    "robot_load": r"The robot fails to load the workpiece\.",
    "person_in_cell": r"A person is detected inside the (?P<device>.+) enclosure "
                      r"while it is running\.",
    # the Manager's task lines
    "task_retrieve": r"Task: retrieve workpiece '(?P<name>[^']+)' from storage\.",
    "task_import": r"Task: import workpiece '(?P<name>[^']+)' into storage\.",
    "task_inspect": r"Task: inspect the incoming workpiece\.",
    "task_machine": r"Task: machine the workpiece with tool='(?P<tool>\w+)', "
                    r"spindle_rpm=(?P<spindle_rpm>\d+), cutting_depth=(?P<cutting_depth>[\d.]+), "
                    r"cutting_length=(?P<cutting_length>\d+)\.",
    "task_paint": r"Task: paint the workpiece with color='(?P<color>\w+)', mode='(?P<mode>\w+)'\.",
    "task_transport": r"Task: transport the workpiece from (?P<source>.+?) "
                      r"to (?P<destination>.+)\.",
    # the Operator's echo of the command it ran
    "operator_call": r"(?P<station>[A-Z][A-Za-z ]*?) calls function: (?P<call>.+)\.",
}
_PATTERNS = {key: re.compile(pattern) for key, pattern in SENTENCES.items()}
# slots a sentence capitalises only because they open it ("Painting machine is ready.")
_OPENING_WORDS = ("machine", "process")

HMI, PLAIN, SHIFT, LEGACY, SYSLOG = "hmi", "plain", "shift", "legacy", "syslog"
REPORT, MES, CODE = "report", "mes", "code"
# terse HMI messages, full sentences, shift-log notes, a non-native engineer's lab English,
# lowercase machine log lines (not key=value)
DEV_STYLES = (HMI, PLAIN, SHIFT, LEGACY, SYSLOG)
HELD_OUT_STYLES = (REPORT, MES, CODE)  # passive reports, MES notes, key=value event records
STYLES = (*DEV_STYLES, *HELD_OUT_STYLES)

# event key -> style -> format strings over the key's slots. A sentence starts with a capital
# whatever slot opens it, except in the lowercase syslog style. Each template keeps every slot of
# its event.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "sensor_infeed": {
        HMI: ["{sensor}: {thing} present at {conveyor} infeed",
              "{sensor} ON - {thing} at infeed {conveyor}"],
        PLAIN: ["Sensor {sensor} has registered a {thing} entering conveyor {conveyor} "
                "at its infeed."],
        SHIFT: ["{thing} came in on {conveyor}, {sensor} saw it at the infeed"],
        LEGACY: ["{thing} arrived to {sensor} at infeed of conveyer {conveyor}",
                 "{sensor} is detecting {thing} on the begin of {conveyor}",
                 "At infeed {conveyor} there is {thing} now, sensor {sensor} is giving signal"],
        SYSLOG: ["{sensor} rising edge: {thing} at {conveyor} infeed",
                 "io: {sensor} high, {thing} entering {conveyor}",
                 "{conveyor} infeed occupied by {thing} ({sensor} active)"],
        REPORT: ["A {thing} was detected by sensor {sensor} at the start of conveyor "
                 "{conveyor}."],
        MES: ["{thing} arrived at the conveyor {conveyor} infeed (sensor {sensor})",
              "infeed of the conveyor {conveyor}: a {thing} is there, sensor {sensor}"],
        CODE: ["EVT=PRESENT sensor={sensor} loc={conveyor}.infeed obj={thing}"],
    },
    "sensor_holder": {
        HMI: ["{sensor}: {thing} present at {holder}/{conveyor}",
              "{sensor} ON - {thing} held at {holder} ({conveyor})"],
        PLAIN: ["Sensor {sensor} has registered a {thing} now waiting at holder {holder} "
                "of conveyor {conveyor}."],
        SHIFT: ["{thing} is sitting at {holder} on {conveyor}, {sensor} reports it"],
        LEGACY: ["{thing} arrived to {sensor} at holder {holder} ({conveyor})",
                 "{sensor} see the {thing}, it is stopping on holder {holder} of conveyer "
                 "{conveyor}",
                 "On {conveyor} the {thing} is staying in holder {holder}, signal from {sensor}",
                 "{thing} is waiting by holder {holder} on {conveyor}, {sensor} is on"],
        SYSLOG: ["{sensor} rising edge: {thing} held at {holder} on {conveyor}",
                 "io: {sensor} high, {thing} parked in {holder} of {conveyor}",
                 "{conveyor} holder {holder} occupied by {thing} ({sensor} active)"],
        REPORT: ["A {thing} was detected by sensor {sensor} at the holder {holder} on the "
                 "conveyor {conveyor}."],
        MES: ["{thing} stopped at the holding position {holder}, conveyor {conveyor} "
              "({sensor})",
              "at the holder {holder} on conveyor {conveyor}: a {thing}, sensor {sensor}"],
        CODE: ["EVT=PRESENT sensor={sensor} loc={conveyor}.{holder} obj={thing}"],
    },
    "sensor_outlet": {
        HMI: ["{sensor}: {thing} present at {conveyor} outlet",
              "{sensor} ON - {thing} at outlet {conveyor}"],
        PLAIN: ["Sensor {sensor} has registered a {thing} at the outlet end of conveyor "
                "{conveyor}."],
        SHIFT: ["{thing} got to the end of {conveyor}, {sensor} sees it"],
        LEGACY: ["{thing} arrived to the end of conveyer {conveyor}, {sensor} is detecting it",
                 "{sensor} detect {thing} on outlet from {conveyor}",
                 "At outlet of {conveyor} is {thing} now (sensor {sensor})"],
        SYSLOG: ["{sensor} rising edge: {thing} at {conveyor} outlet",
                 "io: {sensor} high, {thing} at end of {conveyor}",
                 "{conveyor} outlet occupied by {thing} ({sensor} active)"],
        REPORT: ["A {thing} was detected by sensor {sensor} at the end of conveyor "
                 "{conveyor}."],
        MES: ["{thing} reached the discharge point of the conveyor {conveyor} ({sensor})"],
        CODE: ["EVT=PRESENT sensor={sensor} loc={conveyor}.outlet obj={thing}"],
    },
    "sensor_belt": {
        HMI: ["{sensor}: {thing} on {conveyor}"],
        PLAIN: ["Sensor {sensor} has registered a {thing} travelling on conveyor {conveyor}."],
        SHIFT: ["{thing} is on {conveyor} now ({sensor})"],
        LEGACY: ["{sensor} is detecting {thing} on conveyer {conveyor}",
                 "{thing} is on the {conveyor} belt now, sensor {sensor} give signal",
                 "There is {thing} on {conveyor}, seen by {sensor}"],
        SYSLOG: ["{sensor} rising edge: {thing} on {conveyor}",
                 "io: {sensor} high, {thing} travelling on {conveyor}",
                 "{conveyor} belt occupied by {thing} ({sensor} active)"],
        REPORT: ["A {thing} was detected by sensor {sensor} on conveyor {conveyor}."],
        MES: ["{thing} moving on the conveyor {conveyor}, sensor {sensor}"],
        CODE: ["EVT=PRESENT sensor={sensor} loc={conveyor} obj={thing}"],
    },
    "sensor_pass": {
        HMI: ["{sensor}: workpiece passed", "{sensor} OFF - workpiece moved on"],
        PLAIN: ["A workpiece has just moved past sensor {sensor}."],
        SHIFT: ["piece went by {sensor}"],
        LEGACY: ["Workpiece went through {sensor} already",
                 "{sensor} signal is off again, the part passed it",
                 "Part is passing the sensor {sensor} now"],
        SYSLOG: ["{sensor} falling edge: workpiece passed",
                 "io: {sensor} low again, part moved past",
                 "workpiece cleared {sensor}"],
        REPORT: ["The passage of a workpiece was registered at sensor {sensor}."],
        MES: ["workpiece passing the sensor {sensor}"],
        CODE: ["EVT=PASS sensor={sensor} obj=workpiece"],
    },
    "conveyor_run": {
        HMI: ["{conveyor} ON fwd {seconds}s", "Conveyor {conveyor}: run forward, t={seconds} s"],
        PLAIN: ["Conveyor {conveyor} has been started and will run forward for {seconds} "
                "seconds."],
        SHIFT: ["{conveyor} running now, {seconds} sec"],
        LEGACY: ["{conveyor} is running for {seconds} sec now",
                 "Conveyer {conveyor} started, it run forward {seconds} second",
                 "Starting the conveyor {conveyor} to forward direction for {seconds} s",
                 "Run conveyor {conveyor} forward, {seconds} sec long"],
        SYSLOG: ["conv: {conveyor} motor on, fwd, {seconds}s",
                 "{conveyor} drive started forward for {seconds} s",
                 "conv: {conveyor} running fwd ({seconds} s timer)",
                 "{conveyor}: fwd run of {seconds}s started"],
        REPORT: ["Conveyor {conveyor} was switched on for a run of {seconds} s."],
        MES: ["the conveyor {conveyor} moving forward, runtime {seconds} s"],
        CODE: ["EVT=RUN conveyor={conveyor} dir=fwd t={seconds}s"],
    },
    "conveyor_reverse": {
        HMI: ["{conveyor} ON rev {seconds}s"],
        PLAIN: ["Conveyor {conveyor} has been started in reverse and will run backwards for "
                "{seconds} seconds."],
        SHIFT: ["{conveyor} running backwards, {seconds} sec"],
        LEGACY: ["{conveyor} is running in reverse for {seconds} sec now",
                 "Conveyer {conveyor} started to backwards direction, {seconds} second",
                 "Starting {conveyor} to reverse direction for {seconds} s"],
        SYSLOG: ["conv: {conveyor} motor on, rev, {seconds}s",
                 "{conveyor} drive started in reverse for {seconds} s",
                 "conv: {conveyor} running backward ({seconds} s timer)"],
        REPORT: ["Conveyor {conveyor} was switched on in reverse for {seconds} s."],
        MES: ["the conveyor {conveyor} moving in reverse direction, runtime {seconds} s"],
        CODE: ["EVT=RUN conveyor={conveyor} dir=rev t={seconds}s"],
    },
    "holder_released": {
        HMI: ["{holder} open", "Holder {holder}: released"],
        PLAIN: ["Holder {holder} has been opened."],
        SHIFT: ["{holder} is open now"],
        LEGACY: ["Holder {holder} is released and opened",
                 "{holder} did the release",
                 "Released holder {holder} sucessfully"],
        SYSLOG: ["holder: {holder} retracted",
                 "{holder} opened",
                 "holder {holder} release done"],
        REPORT: ["Holder {holder} was released."],
        MES: ["the stopper {holder} released"],
        CODE: ["EVT=RELEASE holder={holder}"],
    },
    "switch_set": {
        HMI: ["{switch} -> {position}"],
        PLAIN: ["Switch {switch} has moved to the {position} position."],
        SHIFT: ["{switch} flipped to {position}"],
        LEGACY: ["Switch {switch} is now in position {position}",
                 "{switch} was put to {position}",
                 "Setting of switch {switch} to {position} is done"],
        SYSLOG: ["switch: {switch} moved to {position}",
                 "{switch} position now {position}",
                 "switch {switch} set {position} ok"],
        REPORT: ["Switch {switch} was set to position '{position}'."],
        MES: ["the diverter {switch} in {position} position"],
        CODE: ["EVT=SWITCH switch={switch} pos={position}"],
    },
    "robot_requested": {
        HMI: ["Robot request: sent", "TRANSPORT REQ OUT"],
        PLAIN: ["A transport request has successfully been sent to the mobile robot."],
        SHIFT: ["robot called, request went out"],
        LEGACY: ["Request for transport robot is sended",
                 "The robot is requested for transport, request is send out",
                 "Sended the transport request to robot"],
        SYSLOG: ["agv: transport request dispatched",
                 "agv request queued and sent",
                 "transport req tx to robot ok"],
        REPORT: ["A transport request was transmitted to the robot."],
        MES: ["request for the transport robot sent"],
        CODE: ["EVT=ROBOT_REQ status=sent"],
    },
    "request_received": {
        HMI: ["Transport request from {station}"],
        PLAIN: ["A transport request has just come in from {station}."],
        SHIFT: ["{station} wants the robot"],
        LEGACY: ["Robot get transport request from {station}",
                 "Transport request is recieved, it come from {station}",
                 "{station} is asking for transport, request recieved"],
        SYSLOG: ["agv: transport request in from {station}",
                 "rx transport request, origin {station}",
                 "agv: new job request by {station}"],
        REPORT: ["A transport request was received from {station}."],
        MES: ["incoming transport order from the {station}"],
        CODE: ['EVT=REQ_IN from="{station}"'],
    },
    "robot_drives": {
        HMI: ["Robot moving -> {place}"],
        PLAIN: ["The robot is now on its way to {place}."],
        SHIFT: ["robot heading over to {place}"],
        LEGACY: ["Robot is driving to {place} now",
                 "Robot go to the {place}",
                 "Robot started moving in direction of {place}"],
        SYSLOG: ["agv: navigating to {place}",
                 "agv: moving, target {place}",
                 "agv path started toward {place}"],
        REPORT: ["The robot was dispatched to {place}."],
        MES: ["transport robot en route to the {place}"],
        CODE: ['EVT=DRIVE dest="{place}"'],
    },
    "robot_docked": {
        HMI: ["Robot docked: {place}"],
        PLAIN: ["The mobile robot has arrived and docked at {place}."],
        SHIFT: ["robot is docked at {place}"],
        LEGACY: ["Robot is docked on {place}",
                 "Docking to {place} is finished",
                 "Robot arrived to {place} and did docking"],
        SYSLOG: ["agv: docked at {place}",
                 "agv docking complete ({place})",
                 "agv: dock ok, {place}"],
        REPORT: ["Docking of the robot with {place} was confirmed."],
        MES: ["transport robot docked at the {place}"],
        CODE: ['EVT=DOCKED at="{place}"'],
    },
    "robot_loaded": {
        HMI: ["Robot load: OK"],
        PLAIN: ["The workpiece has been loaded onto the robot and is secured."],
        SHIFT: ["piece is on the robot, secured"],
        LEGACY: ["Workpiece is on robot and fixed securely",
                 "Loading to robot is OK, part is secured",
                 "Robot took the workpiece on board, it is fixed good"],
        SYSLOG: ["agv: load complete, part secured",
                 "agv payload on board and clamped",
                 "agv: workpiece loaded, locked"],
        REPORT: ["The workpiece was loaded securely onto the robot."],
        MES: ["workpiece secured on the robot deck"],
        CODE: ["EVT=ROBOT_LOAD result=ok secured=1"],
    },
    "robot_no_workpiece": {
        HMI: ["Robot load: no workpiece at {place}"],
        PLAIN: ["The robot has found no workpiece to load at {place}."],
        SHIFT: ["nothing for the robot to load at {place}"],
        LEGACY: ["Robot can not load, there is no workpiece at {place}",
                 "At {place} robot did not find any workpiece for loading",
                 "Loading not possible at {place}, workpiece is missing"],
        SYSLOG: ["agv: load aborted, no part at {place}",
                 "agv found nothing to pick up at {place}",
                 "agv: pickup slot empty at {place}"],
        REPORT: ["No workpiece was found by the robot for loading at {place}."],
        MES: ["no workpiece available for pickup at the {place}"],
        CODE: ['EVT=ROBOT_LOAD result=empty at="{place}"'],
    },
    "robot_unloaded": {
        HMI: ["Robot unload: done at {place}"],
        PLAIN: ["The robot has unloaded the workpiece at {place}."],
        SHIFT: ["dropped the piece off at {place}"],
        LEGACY: ["Robot unloaded the workpiece on {place}",
                 "Workpiece is delivered to {place}, unloading done",
                 "Unloading at {place} was successful"],
        SYSLOG: ["agv: unload complete at {place}",
                 "agv payload delivered to {place}",
                 "agv: part handed off at {place}"],
        REPORT: ["The workpiece was unloaded at {place}."],
        MES: ["workpiece delivered to the {place}"],
        CODE: ['EVT=ROBOT_UNLOAD result=ok at="{place}"'],
    },
    "robot_unloads_onto": {
        HMI: ["Robot -> {conveyor}: workpiece handed over"],
        PLAIN: ["The robot has put the workpiece down onto conveyor {conveyor}."],
        SHIFT: ["robot dropped a piece onto {conveyor}"],
        LEGACY: ["Robot put the workpiece on conveyer {conveyor}",
                 "Workpiece is unloaded from robot to {conveyor}",
                 "Robot gave the part over to {conveyor}"],
        SYSLOG: ["agv: unload onto {conveyor} complete",
                 "agv payload transferred to {conveyor}",
                 "part handed from agv to {conveyor}"],
        REPORT: ["The workpiece was unloaded by the robot onto conveyor {conveyor}."],
        MES: ["workpiece received from the robot on the conveyor {conveyor}"],
        CODE: ["EVT=HANDOVER from=robot to={conveyor}"],
    },
    "robot_takes": {
        HMI: ["{conveyor} -> robot: workpiece taken"],
        PLAIN: ["The robot has taken the workpiece off conveyor {conveyor}."],
        SHIFT: ["robot grabbed the piece from {conveyor}"],
        LEGACY: ["Robot take the workpiece out from conveyer {conveyor}",
                 "Workpiece is loaded to robot from {conveyor}",
                 "Robot picked up the part at {conveyor}"],
        SYSLOG: ["agv: load from {conveyor} complete",
                 "agv payload taken off {conveyor}",
                 "part handed from {conveyor} to agv"],
        REPORT: ["The workpiece was loaded by the robot from conveyor {conveyor}."],
        MES: ["workpiece handed over to the robot at the conveyor {conveyor}"],
        CODE: ["EVT=HANDOVER from={conveyor} to=robot"],
    },
    "workpiece_waits": {
        HMI: ["{conveyor} end: workpiece waiting"],
        PLAIN: ["The workpiece is now waiting at the end of conveyor {conveyor}."],
        SHIFT: ["piece parked at the end of {conveyor}"],
        LEGACY: ["Workpiece is waiting on end of {conveyor}",
                 "Part stay at the end from conveyer {conveyor} and wait",
                 "At {conveyor} end the workpiece is waiting for pick up"],
        SYSLOG: ["conv: part holding at {conveyor} end",
                 "{conveyor} tail occupied, workpiece waiting",
                 "conv: {conveyor} end reached, part idle"],
        REPORT: ["The workpiece was stopped at the end of conveyor {conveyor} for pickup."],
        MES: ["workpiece waiting for pickup at the conveyor {conveyor} end"],
        CODE: ["EVT=WAIT loc={conveyor}.end obj=workpiece"],
    },
    "workpiece_leaves": {
        HMI: ["Workpiece out: {station}"],
        PLAIN: ["The workpiece has left the {station}."],
        SHIFT: ["piece is gone, out of the {station}"],
        LEGACY: ["Workpiece is leaving from {station}",
                 "Part went out of {station}",
                 "The workpiece left {station} now"],
        SYSLOG: ["cell: part departed {station}",
                 "{station} outbound: part left",
                 "part left {station} boundary"],
        REPORT: ["The workpiece was handed on from the {station}."],
        MES: ["workpiece exited the {station}"],
        CODE: ['EVT=EXIT station="{station}" obj=workpiece'],
    },
    "c4_not_reached": {
        HMI: ["Robot load timeout: no workpiece at {conveyor} end, {place}"],
        PLAIN: ["No workpiece has arrived at the end of {conveyor} at {place}."],
        SHIFT: ["waited at {place}, nothing came down {conveyor}"],
        LEGACY: ["No workpiece arrived to end of {conveyor} at {place}",
                 "At {place} the workpiece did not come to the end from {conveyor}",
                 "Workpiece is missing at {conveyor} end ({place}), robot waited for nothing"],
        SYSLOG: ["agv: {conveyor} end still empty at {place}, no part arrived",
                 "{place}: nothing reached {conveyor} end",
                 "agv: wait for part on {conveyor} at {place} expired, not arrived"],
        REPORT: ["No workpiece was delivered to the end of {conveyor} at {place}."],
        MES: ["pickup failed: the conveyor {conveyor} at the {place} stays empty"],
        CODE: ['ALM=PICKUP_MISSING loc={conveyor}.end at="{place}"'],
    },
    "stock_position": {
        HMI: ["DB: {name} @ {shelf}", "Inventory {name} -> shelf {shelf}"],
        PLAIN: ["Workpiece '{name}' has been located on shelf {shelf}."],
        SHIFT: ["{name} is on shelf {shelf}"],
        LEGACY: ["Workpiece {name} is storing at shelf {shelf}",
                 "{name} is located in shelf {shelf}",
                 "Database say {name} is on shelf {shelf}"],
        SYSLOG: ["asrs: {name} found at {shelf}",
                 "inventory hit: {name} in {shelf}",
                 "asrs lookup {name}: shelf {shelf}"],
        REPORT: ['Workpiece "{name}" was found in the inventory at shelf {shelf}.'],
        MES: ["inventory lookup: workpiece {name} in the storage position {shelf}"],
        CODE: ["EVT=INV name={name} shelf={shelf}"],
    },
    "shelf_free": {
        HMI: ["DB: free slot {shelf}"],
        PLAIN: ["Shelf {shelf} is empty and available for storage."],
        SHIFT: ["{shelf} is empty, can go there"],
        LEGACY: ["Shelf {shelf} is empty and can be use",
                 "Free place is at shelf {shelf}",
                 "{shelf} is free for storing"],
        SYSLOG: ["asrs: {shelf} vacant",
                 "asrs free slot found: {shelf}",
                 "shelf {shelf} available"],
        REPORT: ["Shelf {shelf} was reported as free."],
        MES: ["free storage position: {shelf}"],
        CODE: ["EVT=FREE shelf={shelf}"],
    },
    "picked_shelf": {
        HMI: ["Arm: {name} picked @ {shelf}"],
        PLAIN: ["The robot arm has taken workpiece '{name}' out of shelf {shelf}."],
        SHIFT: ["arm has {name} from {shelf}"],
        LEGACY: ["Arm picked workpiece {name} out from shelf {shelf}",
                 "Robot arm took {name} from shelf {shelf}",
                 "{name} is picked out of {shelf} by the arm"],
        SYSLOG: ["arm: picked {name} from {shelf}",
                 "arm gripped {name} at {shelf}",
                 "asrs: {shelf} emptied, {name} in gripper"],
        REPORT: ['Workpiece "{name}" was picked from the shelf {shelf} by the robot arm.'],
        MES: ["{name} removed from the storage position {shelf}"],
        CODE: ["EVT=PICK name={name} from={shelf}"],
    },
    "picked_carrier": {
        HMI: ["Arm: {name} picked @ carrier"],
        PLAIN: ["The robot arm has lifted workpiece '{name}' off the carrier."],
        SHIFT: ["arm took {name} off the carrier"],
        LEGACY: ["Arm picked workpiece {name} out from carrier",
                 "Robot arm took {name} from the pallet",
                 "{name} is taken from carrier by arm"],
        SYSLOG: ["arm: picked {name} from carrier",
                 "arm gripped {name} off the pallet",
                 "carrier unloaded, {name} in gripper"],
        REPORT: ['Workpiece "{name}" was picked from the carrier by the robot arm.'],
        MES: ["{name} removed from the carrier"],
        CODE: ["EVT=PICK name={name} from=carrier"],
    },
    "placed_carrier": {
        HMI: ["Arm: {name} placed @ carrier"],
        PLAIN: ["The robot arm has set workpiece '{name}' down on the carrier."],
        SHIFT: ["{name} is on the carrier now"],
        LEGACY: ["Arm placed workpiece {name} onto the carrier",
                 "{name} is putted on carrier",
                 "Robot arm set {name} down to the pallet"],
        SYSLOG: ["arm: placed {name} on carrier",
                 "arm released {name} onto pallet",
                 "carrier loaded with {name}"],
        REPORT: ['Workpiece "{name}" was placed onto the carrier.'],
        MES: ["{name} put on the carrier"],
        CODE: ["EVT=PLACE name={name} to=carrier"],
    },
    "placed_shelf": {
        HMI: ["Arm: {name} placed @ {shelf}"],
        PLAIN: ["The robot arm has stored workpiece '{name}' on shelf {shelf}."],
        SHIFT: ["{name} put away on {shelf}"],
        LEGACY: ["Arm placed workpiece {name} into shelf {shelf}",
                 "{name} is putted in {shelf}",
                 "Robot arm stored {name} to shelf {shelf}"],
        SYSLOG: ["arm: placed {name} in {shelf}",
                 "arm released {name} at {shelf}",
                 "asrs: {shelf} now holds {name}"],
        REPORT: ['Workpiece "{name}" was placed onto the shelf {shelf}.'],
        MES: ["{name} stored in the storage position {shelf}"],
        CODE: ["EVT=PLACE name={name} to={shelf}"],
    },
    "arm_missed": {
        HMI: ["Arm: nothing found @ {position}"],
        PLAIN: ["The robot arm could not find any workpiece at {position}."],
        SHIFT: ["arm came up empty at {position}"],
        LEGACY: ["Arm can not find workpiece at {position}",
                 "There is no workpiece at {position}, arm is picking nothing",
                 "Pick at {position} is not succesful, nothing there"],
        SYSLOG: ["arm: pick at {position} empty, no part",
                 "arm gripper closed on nothing at {position}",
                 "arm: {position} missing part"],
        REPORT: ["No workpiece was found by the robot arm at {position}."],
        MES: ["pick failed: position {position} empty"],
        CODE: ["ALM=PICK_EMPTY from={position}"],
    },
    "arm_home": {
        HMI: ["Arm: home"],
        PLAIN: ["The robot arm has returned to its home position."],
        SHIFT: ["arm is back home"],
        LEGACY: ["Arm is in home position again",
                 "Robot arm returned back to home",
                 "Arm reset done, it is on home now"],
        SYSLOG: ["arm: homed",
                 "arm at home pos",
                 "arm reset complete, home reached"],
        REPORT: ["The robot arm was moved back to the home position."],
        MES: ["storage arm in home position"],
        CODE: ["EVT=ARM pos=home"],
    },
    "rfid_verified": {
        HMI: ["RFID: tag verified"],
        PLAIN: ["The RFID tag check has completed successfully."],
        SHIFT: ["RFID tag is fine, matches"],
        LEGACY: ["RFID tag verify is OK",
                 "The RFID tag is checked and it is correct",
                 "Verification of RFID tag went through fine"],
        SYSLOG: ["rfid: tag verify passed",
                 "rfid tag check ok",
                 "rfid: tag matches order"],
        REPORT: ["The RFID tag was verified."],
        MES: ["RFID tag of the workpiece confirmed"],
        CODE: ["EVT=RFID_VERIFY result=ok"],
    },
    "import_verified": {
        HMI: ["Import check: OK"],
        PLAIN: ["The import has been verified successfully."],
        SHIFT: ["import checks out"],
        LEGACY: ["Import verify is OK",
                 "Import is checked and correct",
                 "Verification for import is done, all good"],
        SYSLOG: ["asrs: import verify ok",
                 "import check passed",
                 "asrs: inbound part verified"],
        REPORT: ["The import was verified against the order."],
        MES: ["incoming workpiece accepted for import"],
        CODE: ["EVT=IMPORT_VERIFY result=ok"],
    },
    "import_mismatch": {
        HMI: ["Import check: FAILED - name mismatch"],
        PLAIN: ["The import verification has failed because the workpiece name does not match."],
        SHIFT: ["import check failed, wrong name"],
        LEGACY: ["Import verify is not OK, name is not matching",
                 "Import verification failed, the name is different",
                 "Name is wrong for import, verify not passed"],
        SYSLOG: ["asrs: import verify nok, name not matching",
                 "import check: name mismatch",
                 "asrs inbound verify failed on name"],
        REPORT: ["The import could not be verified: a name mismatch was reported."],
        MES: ["import rejected: workpiece name differs from the order"],
        CODE: ["ALM=IMPORT_VERIFY result=fail reason=name_mismatch"],
    },
    "export_verified": {
        HMI: ["Export check: OK"],
        PLAIN: ["The export has been verified successfully."],
        SHIFT: ["export checks out"],
        LEGACY: ["Export verify is OK",
                 "Export is checked and correct",
                 "Verification for export is done, all good"],
        SYSLOG: ["asrs: export verify ok",
                 "export check passed",
                 "asrs: outbound part verified"],
        REPORT: ["The export was verified against the order."],
        MES: ["outgoing workpiece released for export"],
        CODE: ["EVT=EXPORT_VERIFY result=ok"],
    },
    "rfid_info": {
        HMI: ["RFID data: {check}"],
        PLAIN: ["The RFID tag has been read and carries the instruction: {check}."],
        SHIFT: ["tag read, it wants: {check}"],
        LEGACY: ["RFID informations are read, it say: {check}",
                 "Got the info from RFID tag: {check}",
                 "RFID data read out ok, instruction is: {check}"],
        SYSLOG: ["rfid: read ok, payload '{check}'",
                 "rfid: tag content '{check}'",
                 "rfid read done, note: {check}"],
        REPORT: ['RFID information was retrieved: "{check}".'],
        MES: ["RFID content read - inspection note: {check}"],
        CODE: ['EVT=RFID_READ result=ok data="{check}"'],
    },
    "inspection_passed": {
        HMI: ["Inspection: PASS"],
        PLAIN: ["The inspection has successfully completed and the workpiece passed."],
        SHIFT: ["inspection done, piece is good"],
        LEGACY: ["Inspection is finished, workpiece is OK",
                 "Inspection result is good, the part has passed",
                 "Checking of the workpiece is done and it passed"],
        SYSLOG: ["insp: complete, part passed",
                 "insp: verdict pass, inspection complete",
                 "inspection service done, part ok"],
        REPORT: ["The inspection was completed; the workpiece was found to be in order."],
        MES: ["inspection finished - result: passed"],
        CODE: ["EVT=INSPECTION result=pass"],
    },
    "workpiece_verified": {
        HMI: ["Workpiece check ({process}): OK"],
        PLAIN: ["The workpiece has been checked and is ready for {process}."],
        SHIFT: ["piece is good to go for {process}"],
        LEGACY: ["Workpiece is checked for {process}, it is OK",
                 "Workpiece verify for {process} is OK",
                 "Part is correct for {process}, verification done"],
        SYSLOG: ["part check for {process} ok",
                 "{process}: part verified",
                 "precheck ok, part fit for {process}"],
        REPORT: ["The workpiece was verified as suitable for {process}."],
        MES: ["workpiece released for {process}"],
        CODE: ["EVT=WP_CHECK for={process} result=ok"],
    },
    "machine_ready": {
        HMI: ["{machine} machine: READY"],
        PLAIN: ["The {machine} machine is ready for the next job."],
        SHIFT: ["{machine} machine is free and ready"],
        LEGACY: ["{machine} machine is ready now",
                 "The {machine} machine status is ready",
                 "Status of {machine} machine: it is ready for work"],
        SYSLOG: ["{machine} machine idle, ready",
                 "status check: {machine} machine ready",
                 "{machine} machine reports ready"],
        REPORT: ["The {machine} machine was reported ready."],
        MES: ["status of the {machine} machine: ready"],
        CODE: ["EVT=STATUS machine={machine} state=ready"],
    },
    "machine_loaded": {
        HMI: ["{machine} machine: workpiece loaded"],
        PLAIN: ["The workpiece has been loaded into the {machine} machine."],
        SHIFT: ["piece is in the {machine} machine"],
        LEGACY: ["Workpiece is loaded in the {machine} machine",
                 "Part is inside {machine} machine now, loading done",
                 "Loading into {machine} machine was successful"],
        SYSLOG: ["{machine} machine: part loaded",
                 "part inside {machine} machine",
                 "load into {machine} machine complete"],
        REPORT: ["The workpiece was loaded into the {machine} machine."],
        MES: ["workpiece inserted in the {machine} machine"],
        CODE: ["EVT=MACHINE_LOAD machine={machine} result=ok"],
    },
    "machine_missed": {
        HMI: ["Machine load: no workpiece"],
        PLAIN: ["The machine could not find a workpiece to load."],
        SHIFT: ["nothing there for the machine to load"],
        LEGACY: ["Machine can not load, no workpiece is there",
                 "Loading not possible, machine did not find the workpiece",
                 "There is no workpiece for the machine to load"],
        SYSLOG: ["machine: load aborted, no part present",
                 "machine load: nothing to load",
                 "machine: part missing at load position"],
        REPORT: ["No workpiece was found by the machine for loading."],
        MES: ["load failed: no workpiece at the machine"],
        CODE: ["ALM=MACHINE_LOAD result=empty"],
    },
    "process_finished": {
        HMI: ["{process}: DONE"],
        PLAIN: ["{process} has successfully completed."],
        SHIFT: ["{process} done"],
        LEGACY: ["{process} is finished successful",
                 "{process} process has been finished",
                 "{process} is over, job done"],
        SYSLOG: ["{process} cycle complete",
                 "{process}: end of cycle",
                 "{process} finished ok"],
        REPORT: ["The {process} was finished."],
        MES: ["{process} job completed"],
        CODE: ["EVT=JOB process={process} state=finished"],
    },
    "unloaded": {
        HMI: ["Unload: done"],
        PLAIN: ["The workpiece has been taken out of the machine."],
        SHIFT: ["piece is out of the machine"],
        LEGACY: ["Workpiece is unloaded from machine",
                 "Part is taken out from the machine, unloading done",
                 "Unloading from machine is finished"],
        SYSLOG: ["machine: part unloaded",
                 "unload from machine complete",
                 "machine: part out, unload complete"],
        REPORT: ["The workpiece was unloaded."],
        MES: ["workpiece removed from the machine onto its carrier"],
        CODE: ["EVT=MACHINE_UNLOAD result=ok"],
    },
    "alert_sent": {
        HMI: ["ALERT -> supervisor: {reason}"],
        PLAIN: ["The supervisor has been alerted: {reason}."],
        SHIFT: ["told the supervisor: {reason}"],
        LEGACY: ["Supervisor is informed about: {reason}",
                 "Alarm is send to supervisor, reason is {reason}",
                 "Sent alert for the supervisor ({reason})"],
        SYSLOG: ["alert: supervisor paged, {reason}",
                 "notify supervisor: {reason}",
                 "alert raised to supervisor, cause {reason}"],
        REPORT: ["An alert was sent to the supervisor ({reason})."],
        MES: ["supervisor notified - reason: {reason}"],
        CODE: ['EVT=ALERT to=supervisor reason="{reason}"'],
    },
    "emergency_stopped": {
        HMI: ["E-STOP: all actuators off"],
        PLAIN: ["An emergency stop has been triggered and every actuator has stopped."],
        SHIFT: ["hit the e-stop, everything stopped"],
        LEGACY: ["Emergency stop is active, all actuator are stopped",
                 "E-stop is activated, every actuators stopped",
                 "All actuators are stop now due to emergency stop"],
        SYSLOG: ["estop: all actuators halted",
                 "emergency stop engaged, outputs off",
                 "safety: e-stop, every actuator stopped"],
        REPORT: ["All actuators were stopped by an emergency stop."],
        MES: ["emergency stop active - all drives halted"],
        CODE: ["EVT=ESTOP actuators=off"],
    },
    "conveyor_stuck": {
        HMI: ["{conveyor} FAULT: motor no current"],
        PLAIN: ["Conveyor {conveyor} has failed to move because its motor draws no current."],
        SHIFT: ["{conveyor} won't move, motor has no current"],
        LEGACY: ["Conveyer {conveyor} is not moving, motor is taking no current",
                 "{conveyor} do not run, there is zero current on the motor",
                 "Problem at {conveyor}: motor current is 0, belt not moving"],
        SYSLOG: ["conv: {conveyor} not moving, motor current 0",
                 "{conveyor} drive fault: no motor current",
                 "conv: {conveyor} stuck, zero current draw"],
        REPORT: ["No movement of conveyor {conveyor} was detected; zero motor current was "
                 "measured."],
        MES: ["conveyor {conveyor} stuck - drive current 0 A"],
        CODE: ["ALM=CONVEYOR_STUCK conveyor={conveyor} motor_current=0"],
    },
    "holder_stuck": {
        HMI: ["{holder} FAULT: release failed"],
        PLAIN: ["Holder {holder} has failed to open."],
        SHIFT: ["{holder} stuck, won't open"],
        LEGACY: ["Holder {holder} is not releasing",
                 "{holder} can not open, release failed",
                 "Release of holder {holder} was not working"],
        SYSLOG: ["holder: {holder} release failed",
                 "{holder} stuck closed",
                 "holder {holder} did not retract"],
        REPORT: ["Holder {holder} could not be released."],
        MES: ["stopper {holder} jammed - release not possible"],
        CODE: ["ALM=HOLDER_STUCK holder={holder}"],
    },
    "switch_stuck": {
        HMI: ["{switch} FAULT: divert failed"],
        PLAIN: ["Switch {switch} has failed to move to the divert position."],
        SHIFT: ["{switch} stuck, won't divert"],
        LEGACY: ["Switch {switch} is not going to divert",
                 "{switch} can not divert, it stays",
                 "Divert of switch {switch} failed"],
        SYSLOG: ["switch: {switch} divert failed",
                 "{switch} stuck, divert not reached",
                 "switch {switch} did not move to divert"],
        REPORT: ["Switch {switch} could not be set to divert."],
        MES: ["diverter {switch} jammed - divert not possible"],
        CODE: ["ALM=SWITCH_STUCK switch={switch} pos=divert"],
    },
    "rfid_read": {
        HMI: ["{reader} FAULT: tag read error"],
        PLAIN: ["Reader {reader} has failed to read the workpiece's RFID tag."],
        SHIFT: ["{reader} can't read the tag"],
        LEGACY: ["{reader} can not read the RFID tag from workpiece",
                 "RFID reading failed on {reader}",
                 "Reader {reader} is not able to read tag of the part"],
        SYSLOG: ["rfid: {reader} read failed",
                 "{reader} no tag response",
                 "rfid: {reader} tag unreadable, error"],
        REPORT: ["The RFID tag could not be read by {reader}."],
        MES: ["RFID read error at the reader {reader}"],
        CODE: ["ALM=RFID_READ reader={reader} result=fail"],
    },
    "rfid_verify": {
        HMI: ["RFID verify: FAILED - tag/order mismatch"],
        PLAIN: ["The RFID verification has failed: the tag does not match the order."],
        SHIFT: ["tag doesn't match the order, verification failed"],
        LEGACY: ["RFID verify is not OK, the tag is not matching with order",
                 "Tag and order are different, RFID verification failed",
                 "RFID tag is wrong for this order, verify not passed"],
        SYSLOG: ["rfid: verify failed, tag does not match order",
                 "rfid: tag mismatch against order",
                 "rfid verify rejected: wrong tag for order"],
        REPORT: ["The RFID tag could not be verified against the order."],
        MES: ["RFID check negative - tag not matching the order"],
        CODE: ["ALM=RFID_VERIFY result=fail reason=order_mismatch"],
    },
    "not_in_stock": {
        HMI: ["DB: {name} NOT IN STOCK"],
        PLAIN: ["Workpiece '{name}' is not available in storage."],
        SHIFT: ["no {name} in stock"],
        LEGACY: ["Workpiece {name} is not in the stock",
                 "{name} is not found in storage, stock is empty for it",
                 "There is no {name} in storage"],
        SYSLOG: ["asrs: {name} not in stock",
                 "inventory miss: {name} missing",
                 "asrs lookup {name}: no shelf, out of stock"],
        REPORT: ['Workpiece "{name}" was not found in the inventory.'],
        MES: ["inventory lookup: workpiece {name} out of stock"],
        CODE: ["ALM=NOT_IN_STOCK name={name}"],
    },
    "arm_exception": {
        HMI: ["Arm FAULT: gripper position error"],
        PLAIN: ["The robot arm has raised an exception due to a gripper position error."],
        SHIFT: ["arm threw an error, gripper position is off"],
        LEGACY: ["Robot arm is giving exception: gripper position error",
                 "Arm exception happen, gripper is in wrong position (error)",
                 "Exception from robot arm, position of gripper is not correct"],
        SYSLOG: ["arm: exception, gripper position error",
                 "arm exception raised: gripper pos error",
                 "arm: gripper position fault, exception thrown"],
        REPORT: ["An exception was raised by the robot arm (gripper position error)."],
        MES: ["storage arm error - gripper out of position"],
        CODE: ["ALM=ARM_EXCEPTION detail=gripper_position"],
    },
    "robot_request": {
        HMI: ["Robot request: FAILED"],
        PLAIN: ["The transport request to the robot could not be sent."],
        SHIFT: ["can't get the request through to the robot"],
        LEGACY: ["Transport request can not be send to robot",
                 "Sending request to transport robot is not possible",
                 "Request for robot is failed, not sended"],
        SYSLOG: ["agv: request send failed",
                 "transport request tx error",
                 "agv: cannot send transport request"],
        REPORT: ["Sending of the transport request to the robot was unsuccessful."],
        MES: ["robot request failed - no transmission"],
        CODE: ["ALM=ROBOT_REQ status=send_failed"],
    },
    "communication": {
        HMI: ["COMM LOSS: {device}"],
        PLAIN: ["The connection to the {device} has been lost."],
        SHIFT: ["lost contact with the {device}"],
        LEGACY: ["Communication to {device} is lost",
                 "Connection with {device} is broken, no communication",
                 "{device} is not answering, communication lost"],
        SYSLOG: ["comm: link to {device} down",
                 "{device} connection lost",
                 "comm: no heartbeat from {device}"],
        REPORT: ["Communication with the {device} was interrupted."],
        MES: ["no connection to the {device}"],
        CODE: ['ALM=COMM_LOST device="{device}"'],
    },
    "electrical": {
        HMI: ["PSU FAULT: {volts} V rail down"],
        PLAIN: ["The power supply has failed and the {volts} V rail has dropped out."],
        SHIFT: ["{volts} V supply is gone"],
        LEGACY: ["Power supply problem: {volts} V rail is dropped",
                 "{volts} V supply is down, power failure",
                 "There is no {volts} V power anymore"],
        SYSLOG: ["power: {volts} V rail dropped",
                 "undervoltage on {volts} V rail, power down",
                 "power: {volts} V rail failure"],
        REPORT: ["A drop of the {volts} V supply rail was detected."],
        MES: ["electrical fault - {volts} V supply lost"],
        CODE: ["ALM=POWER rail={volts}V state=down"],
    },
    "timeout": {
        HMI: ["WATCHDOG: no event for {seconds} s"],
        PLAIN: ["Nothing has happened for {seconds} seconds since the last command."],
        SHIFT: ["nothing for {seconds} s after the last command"],
        LEGACY: ["Since {seconds} sec no event came after last command",
                 "Timeout: nothing is happening for {seconds} second after the command",
                 "No any event in {seconds} s from last command"],
        SYSLOG: ["wdt: {seconds} s idle after last command, timeout",
                 "timeout: {seconds} s without event",
                 "no event {seconds} s after last cmd"],
        REPORT: ["No event was registered within {seconds} seconds after the last command."],
        MES: ["inactivity timeout - {seconds} s without response"],
        CODE: ["ALM=TIMEOUT idle={seconds}s"],
    },
    "process_stop": {
        HMI: ["{machine} FAULT: process stopped"],
        PLAIN: ["The {machine} process has stopped unexpectedly."],
        SHIFT: ["{machine} just stopped in the middle of the job"],
        LEGACY: ["{machine} process is stopped not expected",
                 "{machine} process stop suddenly in the middle",
                 "Unexpected stop of {machine} process"],
        SYSLOG: ["{machine}: process aborted unexpectedly",
                 "{machine} process halted, not by command",
                 "{machine} cycle interrupted"],
        REPORT: ["An unexpected stop of the {machine} process was detected."],
        MES: ["{machine} job aborted"],
        CODE: ["ALM=PROCESS_STOP machine={machine}"],
    },
    "robot_load": {
        HMI: ["Robot load: FAILED"],
        PLAIN: ["The robot has failed to load the workpiece."],
        SHIFT: ["robot couldn't load the piece"],
        LEGACY: ["Robot can not load the workpiece",
                 "Loading of workpiece to robot failed",
                 "Robot is not able to load the part"],
        SYSLOG: ["agv: load failed",
                 "agv load aborted",
                 "agv: could not load part"],
        REPORT: ["The workpiece could not be loaded by the robot."],
        MES: ["robot loading failed"],
        CODE: ["ALM=ROBOT_LOAD result=fail"],
    },
    "person_in_cell": {
        HMI: ["SAFETY: person inside {device} enclosure (running)"],
        PLAIN: ["A person has entered the {device} enclosure while the machine is running."],
        SHIFT: ["someone is inside the {device} enclosure and it's running!"],
        LEGACY: ["Person is detected in the {device} enclosure during running",
                 "Someone is in {device} enclosure and machine is running",
                 "Danger: person inside {device} enclosure, it is still running"],
        SYSLOG: ["light curtain: person in {device} enclosure, running",
                 "{device} enclosure breached by person while running",
                 "safety: someone inside {device} enclosure during run"],
        REPORT: ["A person was detected inside the enclosure of the {device} during "
                 "operation."],
        MES: ["safety violation - person in the {device} cell while running"],
        CODE: ['ALM=PERSON_IN_CELL device="{device}" running=1'],
    },
    "task_retrieve": {
        HMI: ["ORDER: retrieve {name} from storage"],
        PLAIN: ["A new order has been assigned: retrieve workpiece '{name}' from the storage "
                "station."],
        SHIFT: ["new job - get {name} out of storage"],
        LEGACY: ["New task for you: take out workpiece {name} from storage",
                 "Please retrieve the workpiece {name} out of storage",
                 "Task is to bring {name} out from storage"],
        SYSLOG: ["mgr: new task, retrieve {name} from storage",
                 "task retrieve: {name}, out of storage",
                 "mgr: fetch {name} out of storage"],
        REPORT: ['A retrieval order for workpiece "{name}" was received from the manager.'],
        MES: ['task received: fetch the workpiece "{name}" from the high-bay store'],
        CODE: ["TASK type=retrieve name={name}"],
    },
    "task_import": {
        HMI: ["ORDER: import {name} to storage"],
        PLAIN: ["A new order has been assigned: put workpiece '{name}' back into storage."],
        SHIFT: ["new job - store {name} away"],
        LEGACY: ["New task for you: put workpiece {name} into storage",
                 "Please import the workpiece {name} to storage",
                 "Task is to store {name} in the storage"],
        SYSLOG: ["mgr: new task, import {name} into storage",
                 "task import: {name}, into storage",
                 "mgr: put {name} away in storage"],
        REPORT: ['An import order for workpiece "{name}" was received from the manager.'],
        MES: ['task received: store the workpiece "{name}" in the high-bay store'],
        CODE: ["TASK type=import name={name}"],
    },
    "task_inspect": {
        HMI: ["ORDER: inspect incoming workpiece"],
        PLAIN: ["A new order has been assigned: the incoming workpiece is to be inspected."],
        SHIFT: ["new job - check the next piece that comes in"],
        LEGACY: ["New task for you: inspect the coming workpiece",
                 "Please do inspection for the incoming workpiece",
                 "Task is inspection of the workpiece which is coming"],
        SYSLOG: ["mgr: new task, inspect incoming part",
                 "task inspect: next incoming workpiece",
                 "mgr: inspection of incoming part requested"],
        REPORT: ["An inspection order for the incoming workpiece was received."],
        MES: ["task received: inspection of the arriving workpiece"],
        CODE: ["TASK type=inspect target=incoming"],
    },
    "task_machine": {
        HMI: ["ORDER: CNC tool={tool} spindle_rpm={spindle_rpm} cutting_depth={cutting_depth} "
              "cutting_length={cutting_length}"],
        PLAIN: ["A new order has been assigned: machine the workpiece with the {tool} at "
                "{spindle_rpm} rpm, {cutting_depth} mm deep and {cutting_length} mm long."],
        SHIFT: ["new job - {tool} at {spindle_rpm} rpm, {cutting_depth} mm deep, "
                "{cutting_length} mm long"],
        LEGACY: ["New task for you: machining with {tool}, spindle on {spindle_rpm} rpm, cut "
                 "depth {cutting_depth} and length {cutting_length}",
                 "Please do CNC job, cutting length {cutting_length} and depth {cutting_depth}, "
                 "use tool {tool} with {spindle_rpm} rpm",
                 "Task is machining: {spindle_rpm} rpm spindle, {tool} tool, {cutting_depth} "
                 "deep, {cutting_length} long"],
        SYSLOG: ["mgr: new task, machine part with {tool} at {spindle_rpm} rpm, depth "
                 "{cutting_depth}, length {cutting_length}",
                 "task machine: cut {cutting_length} long and {cutting_depth} deep, {tool} at "
                 "{spindle_rpm} rpm",
                 "mgr: cnc job {tool}, {spindle_rpm} rpm, {cutting_depth} depth, "
                 "{cutting_length} length"],
        REPORT: ["A machining order was received: tool {tool}, spindle speed {spindle_rpm} rpm, "
                 "cutting depth {cutting_depth} mm, cutting length {cutting_length} mm."],
        MES: ["task received: CNC job ({tool}; {spindle_rpm} rpm; depth {cutting_depth} mm; "
              "length {cutting_length} mm)"],
        CODE: ["TASK type=machine tool={tool} rpm={spindle_rpm} depth_mm={cutting_depth} "
               "len_mm={cutting_length}"],
    },
    "task_paint": {
        HMI: ["ORDER: paint color={color} mode={mode}"],
        PLAIN: ["A new order has been assigned: paint the workpiece {color} with a {mode} "
                "pattern."],
        SHIFT: ["new job - {color} paint, {mode} pattern"],
        LEGACY: ["New task for you: painting in {color} color with {mode} mode",
                 "Please paint the workpiece, mode {mode}, color {color}",
                 "Task is to make {mode} painting with {color}"],
        SYSLOG: ["mgr: new task, paint part {color}, mode {mode}",
                 "task paint: {mode} in {color}",
                 "mgr: painting job, {mode} pattern, {color} colour"],
        REPORT: ["A painting order was received: colour {color}, pattern {mode}."],
        MES: ['task received: coating in {color}, design "{mode}"'],
        CODE: ["TASK type=paint colour={color} pattern={mode}"],
    },
    "task_transport": {
        HMI: ["ORDER: transport {source} -> {destination}"],
        PLAIN: ["A new order has been assigned: carry the workpiece from {source} over to "
                "{destination}."],
        SHIFT: ["new job - move the piece from {source} to {destination}"],
        LEGACY: ["New task for you: bring the workpiece from {source} to {destination}",
                 "Please transport workpiece to {destination}, pick it up at {source}",
                 "Task is transport: source {source}, target {destination}"],
        SYSLOG: ["mgr: new task, transport part {source} to {destination}",
                 "task transport: deliver to {destination}, pickup at {source}",
                 "mgr: move part from {source} over to {destination}"],
        REPORT: ["A transport order was received: pick-up at {source}, delivery to "
                 "{destination}."],
        MES: ["task received: transport of the workpiece, origin {source}, destination "
              "{destination}"],
        CODE: ['TASK type=transport from="{source}" to="{destination}"'],
    },
    "operator_call": {
        HMI: ["{station} CMD {call}", "{station} > {call}"],
        PLAIN: ["The operator of the {station} has called {call}."],
        SHIFT: ["{station}: sent {call}"],
        LEGACY: ["{station} operator is calling {call}",
                 "{station} has execute function {call}",
                 "From {station} the function {call} was called",
                 "Operator of {station} call the function {call}"],
        SYSLOG: ["{station} op: exec {call}",
                 "cmd from {station}: {call}",
                 "op {station} invoked {call}",
                 "{station} dispatched {call}"],
        REPORT: ["Function {call} was executed by the {station} operator."],
        MES: ["operator action at the {station}: {call}"],
        CODE: ['CMD station="{station}" call={call}'],
    },
}

# the syslog templates: their lines keep a lowercase opening word ("io: BG56 high, ...")
_LOWERCASE = frozenset(t for by_style in TEMPLATES.values() for t in by_style[SYSLOG])
CUT_CHANCE = 0.3  # share of logs with one earlier line cut short mid-sentence


def keys() -> list[str]:
    """Every event key the simulator's sentences parse into."""
    return list(SENTENCES)


def parse(text: str) -> tuple[str, dict[str, str]]:
    """The event key and slots of one of the simulator's own sentences; an unknown sentence is an
    error naming it, so a new simulator sentence cannot slip through unphrased."""
    for key, pattern in _PATTERNS.items():
        if m := pattern.fullmatch(text.strip()):
            return key, _plain_words(m.groupdict())
    raise PlcPilotError(f"phrasing: no event key for the sentence {text!r}; add its pattern to "
                        "SENTENCES and its templates to TEMPLATES in plcpilot/plant/phrasing.py")


def _plain_words(slots: dict[str, str]) -> dict[str, str]:
    """'Painting' is capitalised only because it opens the sentence; acronyms (CNC) stay."""
    return {k: v.lower() if k in _OPENING_WORDS and not v.isupper() else v
            for k, v in slots.items()}


def fill(template: str, slots: dict[str, str]) -> str:
    """A template with its slots filled; the line starts with a capital whatever opens it, except
    a syslog line, which stays lowercase (its slot values verbatim)."""
    text = template.format(**slots)
    return text if template in _LOWERCASE else text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _Layout:
    """How one log writes its tags: real logs differ in tag order, spacing and which tags exist."""

    roles: Literal["always", "never", "sometimes"]
    time_first: bool  # [hh:mm:ss] before [System]
    gap: str  # between tags: "" or " "
    lead: str  # before the text: " " or "  "

    def line(self, event: Event, text: str, rng: random.Random) -> str:
        show_role = self.roles == "always" or (self.roles == "sometimes" and rng.random() < 0.5)
        tags = [f"[{event.clock}]"]
        if show_role:
            tags.insert(0 if self.time_first else 1, f"[{event.source}]")
        return self.gap.join([f"[{event.station}]", *tags]) + self.lead + text


def _layout(rng: random.Random) -> _Layout:
    return _Layout(roles=rng.choice(("always", "never", "sometimes")),
                  time_first=rng.random() < 0.3, gap=rng.choice(("", " ")),
                  lead=rng.choice((" ", " ", "  ")))  # one space twice as often as two


def _text(event: Event, style: str, rng: random.Random) -> str:
    if style not in STYLES:
        raise PlcPilotError(f"phrasing: unknown style {style!r}; styles: {', '.join(STYLES)}")
    key, slots = parse(event.text)
    return fill(rng.choice(TEMPLATES[key][style]), slots)


def render(event: Event, style: str, rng: random.Random) -> str:
    """One event as one log line in `style`, with a tag layout of its own drawn from `rng`."""
    return _layout(rng).line(event, _text(event, style, rng), rng)


def _cuttable(events: list[Event]) -> list[int]:
    """Earlier lines that may be cut short: never the newest (the one the operator answers),
    never the Manager's task line, never a line carrying a shelf id: a later storage step acts on
    it ("Shelf A_3 is free", then "picked from the carrier" -> place onto A_3), so cutting it would
    leave the log without its answer."""
    return [i for i, e in enumerate(events[:-1])
            if e.source != "Manager" and "shelf" not in parse(e.text)[1]]


def _cut(text: str, rng: random.Random) -> str:
    """A line broken off mid-sentence, as a truncated log buffer leaves it."""
    return text[: rng.randint(max(1, len(text) // 3), max(1, 2 * len(text) // 3))].rstrip()


def rephrase(events: list[Event], half: Literal["dev", "held_out"], seed: int) -> str:
    """The whole log in other words: each line from a template of a style of `half`, one tag
    layout for the log, maybe one earlier line cut short; the same seed gives the same text."""
    styles = {"dev": DEV_STYLES, "held_out": HELD_OUT_STYLES}.get(half)
    if styles is None:
        raise PlcPilotError(f"phrasing: half must be 'dev' or 'held_out', not {half!r}")
    rng = random.Random(seed)
    layout = _layout(rng)
    texts = [_text(e, rng.choice(styles), rng) for e in events]
    candidates = _cuttable(events)
    if candidates and rng.random() < CUT_CHANCE:
        i = rng.choice(candidates)
        texts[i] = _cut(texts[i], rng)
    return "".join(layout.line(e, t, rng) + "\n" for e, t in zip(events, texts, strict=True))
