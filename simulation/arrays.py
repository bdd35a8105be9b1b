"""Growable numpy and Arrow arrays, and masked takes: how a batch's columns are built without a loop per row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class Growable:
    """A numpy array that grows by appends (amortized O(1)); ``values`` views the filled part."""

    def __init__(self, dtype: type = np.int64) -> None:
        self._data = np.empty(1024, dtype=dtype)
        self._size = 0

    def append(self, value: int) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._size] = value
        self._size += 1

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]


class GrowableArrow:
    """An Arrow array over values that are only ever appended: each value is converted once, so a
    batch's columns can be `take`n from it instead of converting every row's value again."""

    def __init__(self, type: pa.DataType) -> None:
        self.type = type
        self._array = pa.array([], type)
        self._pending: list = []

    def append(self, value) -> None:
        self._pending.append(value)

    @property
    def array(self) -> pa.Array:
        if self._pending:
            self._array = pa.concat_arrays([self._array, pa.array(self._pending, self.type)])
            self._pending = []
        return self._array


def masked(indices: np.ndarray) -> pa.Array:
    """Take-indices where ``NONE`` becomes null (so the taken value is null)."""
    return pa.array(indices, pa.int64(), mask=indices < 0)
