"""How a team's logs map onto the `interactions` contract: the `[log_format]` table of a run's configuration.

The default is the contract itself (Parquet, the contract's column names, types and statuses), so a run without
a mapping reads its logs exactly as before. A mapping names, for each contract column, the source column that
holds it, how to read the timestamp, how the team's outcome codes map to the contract's statuses, and so on;
ingest and `rephrase-miner profile` apply it as Spark expressions (miner.log_mapping). Pure Python: the Airflow
DAG parses it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

FORMATS = ("parquet", "jsonl", "csv")
# "timestamp": a Parquet timestamp (UTC); "iso": ISO 8601 text (no offset = UTC); "epoch_*": a number.
TIMESTAMP_UNITS = ("timestamp", "iso", "epoch_seconds", "epoch_millis")
# "structs": a list of {name, value}; "annot_utt": MASSIVE's annotated utterance, "wake me at [time : seven]".
SLOT_FORMS = ("structs", "annot_utt")
# Columns that may hold one value for the whole log (a single-locale export, no device ids): never the
# identity or the outcome of a turn.
CONSTANT_COLUMNS = ("device_id", "locale", "intent", "nlu_confidence")


# What to check in the mapping or the producer for each quarantine reason (ingest's error, the profile).
REASON_HINTS = {
    "unparseable_record": "is `format` right (jsonl, csv), and `csv_delimiter`?",
    "unparseable_value": "is `timestamp` right for this column (iso, epoch_seconds, epoch_millis), and `slots`?",
    "implausible_ts": "is the `timestamp` unit right? epoch milliseconds read as seconds land in the far future",
    "unknown_status": "add the logs' outcome codes to `status_values`",
    "malformed_locale": "set `normalize_locale = true` for spellings such as en_US",
    "null_event_id": "is `columns.event_id` the logs' name for it?",
    "null_user_id": "is `columns.user_id` the logs' name for it?",
    "null_ts": "is `columns.ts` the logs' name for it?",
    "null_locale": "is `columns.locale` the logs' name for it, or is it a constant?",
    "null_utterance": "is `columns.utterance` the logs' name for it?",
    "null_status": "is `columns.status` the logs' name for it?",
    "no_printable_text": "is `columns.utterance` the text the user said?",
    "utterance_too_long": "is `columns.utterance` one turn's text? (or raise `max_utterance_chars`)",
    "malformed_rewrite": "is `columns.rewritten_utterance` the text the NLU was served?",
    "confidence_out_of_range": "is `columns.nlu_confidence` a 0-1 score? (a percentage or a logit is not)",
    "malformed_slots": "does every slot have a name and a value? (set `slots = \"annot_utt\"` for [slot : value] text)",
}


class LogFormatError(ValueError):
    """A mapping that cannot be applied: named key, value and what is expected."""


@dataclass(frozen=True)
class LogFormat:
    format: str = "parquet"
    # contract column -> source column; a contract column not named here is read from the column of its name.
    columns: dict[str, str] = field(default_factory=dict)
    timestamp: str = "timestamp"
    # source value (as text, trimmed) -> contract status; a value not listed is kept, and quarantined unless
    # it is a contract status already.
    status_values: dict[str, str] = field(default_factory=dict)
    # en_US, en_us.UTF-8, EN-us -> en-US (ingest writes every locale in canonical case anyway).
    normalize_locale: bool = False
    slots: str = "structs"
    # contract column -> the value every row gets (CONSTANT_COLUMNS only).
    constants: dict[str, object] = field(default_factory=dict)
    # nullable contract columns the logs do not have: read as nulls.
    absent: tuple[str, ...] = ()
    # source columns that come from Hive-style folder names (`.../market=en_US/part-0.csv`), not the files.
    path_columns: tuple[str, ...] = ()
    csv_delimiter: str = ","

    @property
    def is_native(self) -> bool:
        """The contract's own layout: read as Parquet under the contract's schema, with no mapping step."""
        return self == LogFormat()

    def source_column(self, contract_column: str) -> str | None:
        """The source column a contract column comes from; None when it is a constant or absent."""
        if contract_column in self.constants or contract_column in self.absent:
            return None
        return self.columns.get(contract_column, contract_column)

    def source_names(self, contract_columns) -> dict[str, str]:
        """Contract column -> how the logs provide it, as people read it: a column, a folder name or a constant."""
        def described(name: str) -> str:
            if name in self.constants:
                return f"(constant {self.constants[name]!r})"
            if name in self.absent:
                return "(absent)"
            source = self.source_column(name)
            return f"{source} (folder name)" if source in self.path_columns else source

        return {name: described(name) for name in contract_columns}

    def as_dict(self) -> dict:
        return {**asdict(self), "absent": list(self.absent), "path_columns": list(self.path_columns)}

    def to_json(self) -> str:
        """The compact form a stage receives as its `--log-format` argument."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))

    def problems(self, contract_columns: dict[str, bool], statuses: tuple[str, ...]) -> list[str]:
        """What is wrong with this mapping for a contract ({column: nullable}) and its statuses."""
        found = []
        for key in (*self.columns, *self.constants, *self.absent):
            if key not in contract_columns:
                found.append(f"'{key}' is not a contract column (known: {', '.join(contract_columns)})")
        for key in self.constants:
            if key not in CONSTANT_COLUMNS:
                found.append(f"constants: '{key}' cannot be a constant (only {', '.join(CONSTANT_COLUMNS)})")
        for key in self.absent:
            if contract_columns.get(key) is False:
                found.append(f"absent: '{key}' is required by the contract; map it to a source column")
        both = sorted(set(self.constants) & set(self.absent))
        if both:
            found.append(f"{', '.join(both)}: both a constant and absent")
        wrong = {code: status for code, status in self.status_values.items() if status not in statuses}
        if wrong:
            found.append(f"status_values: {wrong} map to no contract status (known: {', '.join(statuses)})")
        if self.format == "csv" and self.slots == "structs" and self.source_column("slots") is not None:
            found.append("csv holds no lists: read slots as 'annot_utt', or declare slots absent")
        return found

    @classmethod
    def from_dict(cls, values: dict, where: str = "log_format") -> LogFormat:
        """A mapping from a configuration table. Unknown keys and values outside their choices are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise LogFormatError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        choices = {"format": FORMATS, "timestamp": TIMESTAMP_UNITS, "slots": SLOT_FORMS}
        for key, allowed in choices.items():
            if key in values and values[key] not in allowed:
                raise LogFormatError(f"{where}.{key}: {values[key]!r} is not one of {', '.join(allowed)}")
        for key in ("columns", "status_values", "constants"):
            if not isinstance(values.get(key, {}), dict):
                raise LogFormatError(f"{where}.{key}: expected a table of names to values")
        for key in ("absent", "path_columns"):
            if isinstance(values.get(key, ()), str):
                raise LogFormatError(f"{where}.{key}: expected a list of column names")
        if "normalize_locale" in values and not isinstance(values["normalize_locale"], bool):
            raise LogFormatError(f"{where}.normalize_locale: expected true or false")
        delimiter = values.get("csv_delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise LogFormatError(f"{where}.csv_delimiter: expected one character, got {delimiter!r}")
        return cls(
            **{
                **values,
                "columns": {str(k): str(v) for k, v in values.get("columns", {}).items()},
                "status_values": {str(k): str(v) for k, v in values.get("status_values", {}).items()},
                "constants": dict(values.get("constants", {})),
                "absent": tuple(values.get("absent", ())),
                "path_columns": tuple(values.get("path_columns", ())),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LogFormat:
        return cls.from_dict(json.loads(text)) if text else cls()
