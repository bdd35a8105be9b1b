"""Sessionization: cut each (user, device) stream of turns into sessions at long gaps."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from miner.defaults import MAX_SESSION_TURNS, SESSION_GAP_SECONDS
from schemas.sessions import SESSIONS


def _ordered(window: Window) -> Window:
    # ts ties keep a stable order by event_id, whatever the input order.
    return window.orderBy("ts", "event_id")


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
    """
    by_device = Window.partitionBy("user_key", "device_key")
    previous_turn = _ordered(by_device).rowsBetween(-1, -1)
    device_so_far = _ordered(by_device).rowsBetween(Window.unboundedPreceding, Window.currentRow)

    by_session = Window.partitionBy("user_key", "device_key", "session_seq")
    session_so_far = _ordered(by_session).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    whole_session = _ordered(by_session).rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)

    raw_index = F.row_number().over(session_so_far) - 1
    return (
        turns_df.withColumn("device_gap_s", gap_seconds(F.col("ts"), F.lag("ts").over(previous_turn)))
        .withColumn(
            "session_seq",
            F.sum(
                F.when(
                    F.col("device_gap_s").isNull() | (F.col("device_gap_s") > session_gap_seconds), 1
                ).otherwise(0)
            ).over(device_so_far),
        )
        .withColumns(
            {
                "raw_index": raw_index,
                "session_turns": F.count(F.lit(1)).over(whole_session),
                "session_first_event": F.first("event_id").over(session_so_far),
            }
        )
        .withColumns(
            {
                "session_part": F.floor(F.col("raw_index") / max_session_turns).cast("int"),
                "turn_index": (F.col("raw_index") % max_session_turns).cast("int"),
                "is_runaway": F.col("session_turns") > max_session_turns,
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
