"""Column types shared by every data contract.

Each type knows its Spark type, its pyarrow type, how the docs name it, and which Parquet/Arrow types a
producer may write for it (``accepts``). Input files are checked against ``accepts`` before Spark reads
them, so a wrong type fails with the file and column named instead of a JVM stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyarrow as pa
from pyspark.sql import types as T

UTC_NAMES = frozenset({"UTC", "utc", "Etc/UTC", "+00:00", "Z"})


@dataclass(frozen=True)
class ColumnType:
    label: str
    arrow: pa.DataType
    spark: T.DataType
    accepts: Callable[[pa.DataType], bool]


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _is_utc_timestamp(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) and t.tz in UTC_NAMES


def _exactly(expected: pa.DataType) -> Callable[[pa.DataType], bool]:
    return lambda t: t.equals(expected)


def _is_name_value_list(t: pa.DataType) -> bool:
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return False
    item = t.value_type
    if not pa.types.is_struct(item):
        return False
    names = {item.field(i).name: item.field(i).type for i in range(item.num_fields)}
    return set(names) == {"name", "value"} and all(_is_string(v) for v in names.values())


STRING = ColumnType("string", pa.string(), T.StringType(), _is_string)
TIMESTAMP_UTC = ColumnType(
    "timestamp[us, UTC]", pa.timestamp("us", tz="UTC"), T.TimestampType(), _is_utc_timestamp
)
FLOAT32 = ColumnType("float32", pa.float32(), T.FloatType(), _exactly(pa.float32()))
FLOAT64 = ColumnType("float64", pa.float64(), T.DoubleType(), _exactly(pa.float64()))
INT32 = ColumnType("int32", pa.int32(), T.IntegerType(), _exactly(pa.int32()))
INT64 = ColumnType("int64", pa.int64(), T.LongType(), _exactly(pa.int64()))
BOOL = ColumnType("bool", pa.bool_(), T.BooleanType(), _exactly(pa.bool_()))
DATE = ColumnType("date", pa.date32(), T.DateType(), _exactly(pa.date32()))
SLOTS = ColumnType(
    "list<struct<name: string, value: string>>",
    pa.list_(pa.struct([pa.field("name", pa.string()), pa.field("value", pa.string())])),
    T.ArrayType(
        T.StructType([T.StructField("name", T.StringType()), T.StructField("value", T.StringType())])
    ),
    _is_name_value_list,
)
STRING_LIST = ColumnType(
    "list<string>", pa.list_(pa.string()), T.ArrayType(T.StringType()),
    lambda t: (pa.types.is_list(t) or pa.types.is_large_list(t)) and _is_string(t.value_type),
)
# A vector as one binary value (little-endian float16): a list<float> column costs a repetition level per
# element to decode and shuffle, and the vectors are read and joined per distinct text on the hot path.
FLOAT16_VECTOR = ColumnType("binary (float16 vector)", pa.binary(), T.BinaryType(), _exactly(pa.binary()))
# A DataSketches HLL sketch as Spark's hll_sketch_agg writes it (updatable binary image): it holds hashed
# registers of the keys it saw, never the keys, and only Spark's hll_* functions read it.
HLL_SKETCH = ColumnType("binary (HLL sketch)", pa.binary(), T.BinaryType(), _exactly(pa.binary()))
