import pyarrow as pa
import pytest

from pipeline.errors import InputContractError
from pipeline.io import check_input_files
from pipeline.storage import list_data_files
from schemas.interactions import INTERACTIONS
from tests.conftest import utc
from tests.logs_factory import row, write_logs

T0 = utc(2026, 11, 30, 8)


def test_lists_data_files_recursively_and_skips_hidden_ones(tmp_path):
    write_logs(tmp_path / "date=2026-11-30" / "part-1.parquet", [row("e1", "u1", T0, "hi")])
    write_logs(tmp_path / "date=2026-11-29" / "part-0.parquet", [row("e0", "u1", T0, "hi")])
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / "date=2026-11-30" / ".part-1.parquet.crc").write_text("x")
    (tmp_path / "_temporary").mkdir()
    (tmp_path / "_temporary" / "part-9.parquet").write_text("partial")
    assert list_data_files(str(tmp_path)) == [
        str(tmp_path / "date=2026-11-29" / "part-0.parquet"),
        str(tmp_path / "date=2026-11-30" / "part-1.parquet"),
    ]


def test_conforming_files_report_their_row_counts(tmp_path):
    write_logs(tmp_path / "a.parquet", [row("e1", "u1", T0, "hi"), row("e2", "u1", T0, "yo")])
    write_logs(tmp_path / "b.parquet", [])
    assert [(f.uri.rsplit("/", 1)[1], f.num_rows) for f in check_input_files(str(tmp_path), INTERACTIONS)] == [
        ("a.parquet", 2), ("b.parquet", 0),
    ]


def test_every_bad_file_and_column_is_named(tmp_path):
    write_logs(tmp_path / "good.parquet", [row("e1", "u1", T0, "hi")])
    no_status = pa.schema([f for f in INTERACTIONS.arrow_schema if f.name != "status"])
    write_logs(tmp_path / "no_status.parquet", [{k: v for k, v in row("e2", "u", T0, "x").items() if k != "status"}], no_status)
    double_conf = INTERACTIONS.arrow_schema.set(8, pa.field("nlu_confidence", pa.float64()))
    write_logs(tmp_path / "double.parquet", [row("e3", "u", T0, "x")], double_conf)
    (tmp_path / "empty.parquet").write_bytes(b"")
    (tmp_path / "corrupt.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputContractError) as raised:
        check_input_files(str(tmp_path), INTERACTIONS)
    message = str(raised.value)
    assert message.startswith(f"4 problem(s) with the input under {tmp_path}")
    assert f"{tmp_path}/no_status.parquet: column 'status': missing (expected string)" in message
    assert f"{tmp_path}/double.parquet: column 'nlu_confidence': has type double, expected float32" in message
    assert f"{tmp_path}/empty.parquet: not a readable Parquet file" in message
    assert f"{tmp_path}/corrupt.parquet: not a readable Parquet file" in message
    assert "good.parquet" not in message


def test_missing_or_empty_input_directory_is_an_error(tmp_path):
    with pytest.raises(InputContractError, match="no such directory"):
        check_input_files(str(tmp_path / "nope"), INTERACTIONS)
    with pytest.raises(InputContractError, match="no data files found"):
        check_input_files(str(tmp_path), INTERACTIONS)
