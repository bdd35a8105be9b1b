"""One local SparkSession for the whole suite: local[2], UTC, two shuffle partitions."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(scope="session")
def spark():
    from jobs.spark import build_spark

    session = build_spark("rephrase-miner tests", master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()


def utc(*parts: int) -> dt.datetime:
    """A UTC timestamp for hand-written rows: utc(2026, 11, 30, 23, 59, 30)."""
    return dt.datetime(*parts, tzinfo=dt.timezone.utc)


def collected(timestamp: dt.datetime) -> dt.datetime:
    """How Spark hands a timestamp back to Python in a UTC session: naive, in UTC."""
    return timestamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
