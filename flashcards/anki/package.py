"""Opening an Anki package (.apkg, .colpkg) safely, as an SQLite connection to its collection.

A package is a zip. Modern ones (Anki 2.1.55 and later) hold ``collection.anki21b``,
zstd-compressed without a recorded size (so it is streamed), schema 18, beside a dummy
``collection.anki2`` that only says "please update"; older ones hold ``collection.anki21``
or ``collection.anki2`` (schema 11). The first of those three found is read. Nothing is
extracted by name: the collection is copied into a private temporary folder, with caps on
what a small zip may grow to, and every member name is checked all the same.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

COLLECTION_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")
OLDEST_SCHEMA, NEWEST_SCHEMA = 11, 18
# A collection bigger than this, or that grew more than this many times over from its
# compressed size (past the first MiB), is taken for a zip bomb. Real collections compress
# 3-30 times.
MAX_COLLECTION_BYTES = 4 * 1024**3
MAX_RATIO = 200
_FREE_GROWTH = 1024**2
_CHUNK = 1024**2


class AnkiError(ValueError):
    """An Anki package that cannot be read or imported as asked, said in one line."""


@contextmanager
def open_collection(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the package's collection, with Anki's ``unicase`` collation.

    A corrupt zip, a zip bomb, a member name that would escape a folder, a zip without a
    collection, or a collection that is no SQLite database of a known schema is an
    ``AnkiError``.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise AnkiError(f"{path}: not a zip file, so not an Anki package "
                               "(corrupt, or some other kind of file)") from None
    with archive, tempfile.TemporaryDirectory(prefix="flashcards-anki-") as folder:
        member = _collection_member(archive, path)
        copy = Path(folder) / "collection.sqlite"
        try:
            with archive.open(member) as source, open(copy, "wb") as target:
                _copy_capped(source, target, member, path)
        except (zipfile.BadZipFile, zlib.error, EOFError, _zstd_error(member)) as error:
            raise AnkiError(f"{path}: {member.filename} is damaged ({error})") from None
        conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            conn.create_collation("unicase", _unicase)
            _check_schema(conn, path)
            yield conn
        finally:
            conn.close()


def _collection_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The collection to read, after checking every member of the zip."""
    infos = archive.infolist()
    for info in infos:
        name = info.filename
        if _escapes(name):
            raise AnkiError(f"{path}: member {name!r} would be written outside its "
                                   "folder; refusing the package")
        if info.file_size > MAX_COLLECTION_BYTES or (
            info.file_size > _FREE_GROWTH + MAX_RATIO * info.compress_size
        ):
            raise AnkiError(
                f"{path}: member {name!r} would unpack to {info.file_size:,} bytes from "
                f"{info.compress_size:,} (a zip bomb?); refusing the package")
    by_name = {info.filename: info for info in infos}
    for name in COLLECTION_MEMBERS:
        if name in by_name:
            return by_name[name]
    raise AnkiError(f"{path}: not an Anki package (no {', '.join(COLLECTION_MEMBERS)} "
                           "in the zip)")


def _escapes(name: str) -> bool:
    """Whether a member name is absolute, has a drive, or climbs out with ``..``."""
    for flavour in (PurePosixPath(name), PureWindowsPath(name)):
        if flavour.is_absolute() or flavour.drive or flavour.root or ".." in flavour.parts:
            return True
    return "\x00" in name


def _copy_capped(source: BinaryIO, target: BinaryIO, member: zipfile.ZipInfo,
                 path: Path) -> None:
    """Copy the collection out of the zip, decompressing zstd as a stream, within the caps."""
    counted = _Counted(source)
    if member.filename.endswith("21b"):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(counted, read_across_frames=True)
    else:
        reader = source
    written = 0
    with reader:
        while chunk := reader.read(_CHUNK):
            written += len(chunk)
            consumed = counted.count if reader is not source else member.compress_size
            if written > MAX_COLLECTION_BYTES or written > _FREE_GROWTH + MAX_RATIO * consumed:
                raise AnkiError(
                    f"{path}: {member.filename} grows past {written:,} bytes from "
                    f"{consumed:,} (a zip bomb?); refusing the package")
            target.write(chunk)


class _Counted:
    """A stream that counts the bytes read from it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        """Read as the stream does, counting."""
        data = self.stream.read(size)
        self.count += len(data)
        return data


def _zstd_error(member: zipfile.ZipInfo) -> type[Exception]:
    """The error a corrupt zstd stream raises (zstandard is imported only when needed)."""
    if not member.filename.endswith("21b"):
        return EOFError
    import zstandard

    return zstandard.ZstdError


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    try:
        row = conn.execute("SELECT ver FROM col").fetchone()
    except sqlite3.DatabaseError:
        raise AnkiError(f"{path}: not an Anki package (its collection is not an Anki "
                               "database)") from None
    version = row[0] if row else None
    if not isinstance(version, int) or version < OLDEST_SCHEMA:
        raise AnkiError(f"{path}: not an Anki collection this app reads (schema "
                               f"{version!r}; {OLDEST_SCHEMA} to {NEWEST_SCHEMA} are read)")
    if version > NEWEST_SCHEMA:
        raise AnkiError(f"{path}: made by a newer Anki (collection schema {version}; "
                               f"this version reads up to {NEWEST_SCHEMA}). Export it from "
                               "Anki with \"Support older Anki versions\" ticked")


def _unicase(left: str, right: str) -> int:
    """Anki's ``unicase`` collation: compare ignoring case (Unicode case folding)."""
    left, right = left.casefold(), right.casefold()
    return (left > right) - (left < right)

