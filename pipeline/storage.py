"""File operations on local paths and URIs (pyarrow filesystems), with no Spark.

The Airflow tasks that plan and publish runs use these without starting a JVM; the Spark jobs use them for
their side files (stats, manifests, pointers).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow.fs as pafs

from pipeline.errors import InputContractError


@dataclass(frozen=True)
class DataFile:
    uri: str
    size_bytes: int


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), posixpath.abspath(uri)


def _as_uri(uri: str, path: str) -> str:
    if "://" not in uri:
        return path
    scheme = uri.split("://", 1)[0]
    return f"{scheme}://{path}" if scheme != "file" else f"file://{path}"


def _is_hidden(relative_path: str) -> bool:
    # Spark's own convention: _SUCCESS, _metadata, .crc files and _temporary folders are not data.
    return any(part.startswith(("_", ".")) for part in relative_path.split("/"))


def data_files(root_uri: str) -> list[DataFile]:
    """Every non-hidden file under root, recursively, in a stable order, with its size."""
    fs, root = filesystem(root_uri)
    info = fs.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        raise InputContractError(f"{root_uri}: no such directory")
    if info.type == pafs.FileType.File:
        return [DataFile(_as_uri(root_uri, root), info.size)]
    found = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    files = sorted(
        (f for f in found if f.type == pafs.FileType.File and not _is_hidden(posixpath.relpath(f.path, root))),
        key=lambda f: f.path,
    )
    return [DataFile(_as_uri(root_uri, f.path), f.size) for f in files]


def list_data_files(root_uri: str) -> list[str]:
    return [f.uri for f in data_files(root_uri)]


def input_fingerprint(files: Iterable[DataFile]) -> str:
    """Changes when a file is added, removed or rewritten: how a late delivery to a past day is noticed."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.uri}\t{f.size_bytes}\n".encode())
    return digest.hexdigest()


def exists(uri: str) -> bool:
    fs, path = filesystem(uri)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def subdirectories(uri: str) -> list[str]:
    """Names of the folders directly under uri (none when it does not exist), sorted."""
    fs, path = filesystem(uri)
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        return []
    entries = fs.get_file_info(pafs.FileSelector(path, recursive=False))
    return sorted(posixpath.basename(e.path) for e in entries if e.type == pafs.FileType.Directory)


def remove_dir(uri: str) -> None:
    fs, path = filesystem(uri)
    if fs.get_file_info(path).type != pafs.FileType.NotFound:
        fs.delete_dir(path)


def move(source_uri: str, target_uri: str) -> None:
    """A rename: atomic for a directory on a local filesystem or HDFS (object stores copy, then delete)."""
    fs, source = filesystem(source_uri)
    _, target = filesystem(target_uri)
    fs.create_dir(posixpath.dirname(target), recursive=True)
    fs.move(source, target)


def write_text(uri: str, text: str) -> None:
    fs, path = filesystem(uri)
    fs.create_dir(posixpath.dirname(path), recursive=True)
    with fs.open_output_stream(path) as stream:
        stream.write(text.encode("utf-8"))


def write_json(uri: str, payload: dict) -> None:
    write_text(uri, json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def replace_json(uri: str, payload: dict) -> None:
    """Write a small file so that a reader sees the old content or the new, never a partial one."""
    temporary = posixpath.join(posixpath.dirname(uri), f".{posixpath.basename(uri)}.{uuid.uuid4().hex}.tmp")
    write_json(temporary, payload)
    fs, source = filesystem(temporary)
    fs.move(source, filesystem(uri)[1])


def read_json(uri: str) -> dict:
    fs, path = filesystem(uri)
    with fs.open_input_stream(path) as stream:
        return json.loads(stream.read().decode())
