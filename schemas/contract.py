"""A data contract: one declaration that yields the Spark schema, the pyarrow schema and the docs."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from pyspark.sql import types as T

from schemas.types import ColumnType


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool
    doc: str
    # An optional column may be missing from a file (older producers): it is then read as nulls.
    optional: bool = False


@dataclass(frozen=True)
class SchemaProblem:
    column: str
    message: str

    def __str__(self) -> str:
        return f"column '{self.column}': {self.message}"


@dataclass(frozen=True)
class Contract:
    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if not c.nullable]

    @property
    def spark_schema(self) -> T.StructType:
        return T.StructType([T.StructField(c.name, c.type.spark, c.nullable) for c in self.columns])

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow, c.nullable) for c in self.columns])

    def problems_with(self, file_schema: pa.Schema) -> list[SchemaProblem]:
        """What stops a file with this Arrow schema from being read under the contract.

        Extra columns are allowed (and ignored), optional columns may be missing; nullability is checked per row, not per file, because
        producers rarely declare it.
        """
        problems = []
        for column in self.columns:
            index = file_schema.get_field_index(column.name)
            if index < 0:
                if column.optional:
                    continue
                problems.append(SchemaProblem(column.name, f"missing (expected {column.type.label})"))
                continue
            found = file_schema.field(index).type
            if not column.type.accepts(found):
                problems.append(
                    SchemaProblem(column.name, f"has type {found}, expected {column.type.label}")
                )
        return problems

    def markdown(self) -> str:
        lines = [
            f"### `{self.name}`",
            "",
            self.doc,
            "",
            "| column | type | nullable | meaning |",
            "|---|---|---|---|",
        ]
        for c in self.columns:
            nullable = "yes" if c.nullable else "no"
            if c.optional:
                nullable += " (optional column: may be missing from a file)"
            lines.append(f"| {c.name} | {c.type.label} | {nullable} | {c.doc} |")
        return "\n".join(lines) + "\n"
