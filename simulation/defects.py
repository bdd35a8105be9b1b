"""Log defects: what real logs also contain besides turns. Malformed rows (each breaking one rule of the input
contract), stand-alone hostile payloads (markup, oversized text) serving no goal, and duplicate deliveries."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from miner.text import is_unsegmented
from schemas.truth import TRUTH
from simulation.draws import hash_uniform, hex_ids
from simulation.logs import TRUTH_BEFORE_DELIVERIES, BatchStats, SimulatedBatch
from simulation.rows import LOG_SCHEMA
from simulation.world import LocaleWorld

MALFORMED_KINDS = (
    "null_user_id",
    "null_ts",
    "null_event_id",
    "unknown_status",
    "malformed_locale",
    "blank_utterance",
    "control_only_utterance",
    "confidence_out_of_range",
    "null_slot_value",
)
STANDALONE_HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</td></tr><iframe src=javascript:alert(1)>",
)
LONG_UTTERANCE_CHARS = 5000


class LogDefects:
    """What real logs also contain: broken rows, hostile payloads, duplicate deliveries. Few rows, so
    they are built as Python dicts from copies of real turns."""

    def __init__(self, world: LocaleWorld, rng: np.random.Generator, first_user: int):
        self.world = world
        self.cfg = world.config
        self.rng = rng
        self.first_user = first_user

    def apply(self, log: pa.RecordBatch, truth: pa.RecordBatch, stats: BatchStats) -> SimulatedBatch:
        flow_rows = log.num_rows
        extra_log, extra_truth = [], []
        if flow_rows:
            for make in (self._malformed_rows, self._standalone_hostile_rows):
                log_rows, truth_rows = make(log, truth, flow_rows)
                extra_log += log_rows
                extra_truth += truth_rows
        stats.malformed = sum(1 for row in extra_truth if row["role"] == "malformed")
        stats.hostile += sum(1 for row in extra_truth if row["role"] == "hostile")
        log = pa.concat_batches([log, pa.RecordBatch.from_pylist(extra_log, schema=LOG_SCHEMA)])
        truth = pa.concat_batches(
            [truth, pa.RecordBatch.from_pylist(extra_truth, schema=TRUTH_BEFORE_DELIVERIES)]
        )

        events = log.num_rows
        has_id = np.asarray(log.column("event_id").is_valid())  # an event without id is not "the same event"
        duplicated = np.flatnonzero((self.rng.random(events) < self.cfg.duplicate_share) & has_id)
        deliveries = np.ones(events, dtype=np.int32)
        deliveries[duplicated] = 2
        log = pa.concat_batches([log, log.take(pa.array(duplicated, pa.int64()))])
        truth = pa.RecordBatch.from_arrays(truth.columns + [pa.array(deliveries)], schema=TRUTH.arrow_schema)
        stats.turns, stats.events, stats.duplicates = log.num_rows, events, int(duplicated.size)
        return SimulatedBatch(self.world.locale, log, truth, stats)

    def _copies(self, log: pa.RecordBatch, truth: pa.RecordBatch, flow_rows: int, count: int):
        sources = pa.array(self.rng.integers(0, flow_rows, count))
        new_ids = hex_ids(self.rng, count).to_pylist()
        offsets = self.rng.uniform(0.2, 5.0, count).tolist()
        for log_row, truth_row, event_id, offset in zip(
            log.take(sources).to_pylist(), truth.take(sources).to_pylist(), new_ids, offsets
        ):
            log_row["event_id"] = event_id
            log_row["ts"] += timedelta(seconds=offset)  # right after the turn it copies, same session
            truth_row.update(
                event_id=event_id, gold_intent=None, gold_slots=None, goal_id=None, nlu_outcome=None,
                rephrase_of=None, rephrase_root=None, attempt=None,
            )
            yield log_row, truth_row

    def _malformed_rows(self, log, truth, flow_rows) -> tuple[list[dict], list[dict]]:
        """Corrupted copies of real turns (fresh event ids), each breaking one contract rule."""
        count = max(len(MALFORMED_KINDS), round(flow_rows * self.cfg.malformed_share))
        log_rows, truth_rows = [], []
        for k, (row, truth_row) in enumerate(self._copies(log, truth, flow_rows, count)):
            kind = MALFORMED_KINDS[(self.first_user + k) % len(MALFORMED_KINDS)]
            self._break(row, kind, k)
            truth_row.update(event_id=row["event_id"], utterance=row["utterance"], role="malformed", surface=None,
                             defect=kind)
            log_rows.append(row)
            truth_rows.append(truth_row)
        return log_rows, truth_rows

    def _break(self, row: dict, kind: str, k: int) -> None:
        def pick(options):
            return options[k // len(MALFORMED_KINDS) % len(options)]

        if kind == "null_user_id":
            row["user_id"] = None
        elif kind == "null_ts":
            row["ts"] = None
        elif kind == "null_event_id":
            row["event_id"] = None
        elif kind == "unknown_status":
            row["status"] = pick(("succes", "OK", "SUCCESS", "done"))
        elif kind == "malformed_locale":
            row["locale"] = pick(("english", self.world.locale.replace("-", "_"), "EN-us!", "xx-??"))
        elif kind == "blank_utterance":
            row["utterance"] = pick(("", " ", "\t  \n"))
        elif kind == "control_only_utterance":
            row["utterance"] = pick(("\x00\x07\x1b", "\x1b\x7f", "\x08\x00"))
        elif kind == "confidence_out_of_range":
            row["nlu_confidence"] = pick((1.7, float("nan"), -0.2))
        elif kind == "null_slot_value":
            row["slots"] = [{"name": "time", "value": None}] + (row["slots"] or [])

    def _standalone_hostile_rows(self, log, truth, flow_rows) -> tuple[list[dict], list[dict]]:
        """Markup and oversized payloads typed into a client, serving no goal."""
        payloads = STANDALONE_HOSTILE + (self._long_utterance(),)
        count = max(len(payloads), round(flow_rows * self.cfg.standalone_hostile_share))
        log_rows, truth_rows = [], []
        for k, (row, truth_row) in enumerate(self._copies(log, truth, flow_rows, count)):
            payload = payloads[k % len(payloads)]
            row.update(utterance=payload, intent=None, slots=None, status="unhandled",
                       nlu_confidence=hash_uniform(self.world.seed, "hostile", payload, 0.01, 0.3))
            truth_row.update(utterance=payload, role="hostile", surface="hostile", defect=None)
            log_rows.append(row)
            truth_rows.append(truth_row)
        return log_rows, truth_rows

    def _long_utterance(self) -> str:
        top = self.world.goals[self.world.ranked_goals[0]]
        words = "".join(p for p, _ in self.world.carriers[top.own_carrier].pieces)
        words += "" if is_unsegmented(words) else " "  # pasted again and again, spaced as the script is
        return (words * (LONG_UTTERANCE_CHARS // len(words) + 1))[:LONG_UTTERANCE_CHARS]

