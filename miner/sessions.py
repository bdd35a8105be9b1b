"""Sessionization: cut each (user, device) stream of turns into sessions at long gaps."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from miner.defaults import MAX_SESSION_TURNS, SESSION_GAP_SECONDS
from schemas.sessions import SESSIONS


def _ordered(window: Window) -> Window:
    # ts ties keep a stable order by event_id, whatever the input order.
    return window.orderBy("ts", "event_id")


def _at_session_start(value: Column, device_so_far: Window) -> Column:
    """`value` as it was on the first turn of the current row's session (`starts_session`)."""
    return F.last(F.when(F.col("starts_session"), value), ignorenulls=True).over(device_so_far)


def gap_seconds(ts: Column, previous_ts: Column) -> Column:
    return (F.unix_micros(ts) - F.unix_micros(previous_ts)) / F.lit(1_000_000.0)


def sessionize(
    turns_df: DataFrame,
    session_gap_seconds: float = SESSION_GAP_SECONDS,
    max_session_turns: int = MAX_SESSION_TURNS,
) -> DataFrame:
    """Place every turn in a session; no row is dropped.

    A new session starts at a device's first turn and after any gap above `session_gap_seconds`. A session
    longer than `max_session_turns` is cut into consecutive parts, each with its own session_id, and all of
    its turns are flagged `is_runaway`.

    Every window runs over the device's turns in one order, so Spark sorts the day once: a session's
    position and first event are running values from its first turn, and a session is runaway when the turn
    `max_session_turns` ahead of its first still belongs to it.
    """
    by_device = _ordered(Window.partitionBy("user_key", "device_key"))
    previous_turn = by_device.rowsBetween(-1, -1)
    device_so_far = by_device.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    turns_ahead = by_device.rowsBetween(max_session_turns, max_session_turns)

    return (
        turns_df.withColumn("device_gap_s", gap_seconds(F.col("ts"), F.lag("ts").over(previous_turn)))
        .withColumn("starts_session", F.col("device_gap_s").isNull() | (F.col("device_gap_s") > session_gap_seconds))
        .withColumns(
            {
                "session_seq": F.count_if("starts_session").over(device_so_far),
                "device_turn": F.row_number().over(device_so_far),
            }
        )
        .withColumn("session_seq_ahead", F.lead("session_seq", max_session_turns).over(turns_ahead))
        .withColumns(
            {
                "raw_index": F.col("device_turn") - _at_session_start(F.col("device_turn"), device_so_far),
                "session_first_event": _at_session_start(F.col("event_id"), device_so_far),
                "is_runaway": _at_session_start(
                    F.coalesce(F.col("session_seq_ahead") == F.col("session_seq"), F.lit(False)), device_so_far
                ),
            }
        )
        .withColumns(
            {
                "session_part": F.floor(F.col("raw_index") / max_session_turns).cast("int"),
                "turn_index": (F.col("raw_index") % max_session_turns).cast("int"),
            }
        )
        .withColumns(
            {
                "session_id": F.substring(
                    F.sha2(
                        F.concat_ws(
                            "\u0001", "user_key", "device_key", "session_first_event",
                            F.col("session_part").cast("string"),
                        ),
                        256,
                    ),
                    1,
                    32,
                ),
                "gap_s": F.when(F.col("turn_index") > 0, F.col("device_gap_s")),
            }
        )
        .select(*SESSIONS.column_names)
    )
