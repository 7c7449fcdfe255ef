"""Files exchanged with an HIS (9101 文件上传, 9102 文件下载) and the text of a 3202 detail file.

An upload's ``in`` is the file's bytes as a base64 string or, as some HIS send it, a JSON array
of byte values (newtouch ``Input_9101.fsUploadIn.@in``, 字节数组). An empty file and one over
:data:`MAX_FILE_BYTES` are refused naming the field. Files are stored in the database
(``exchange_files``) with their size and SHA-256, and are served until ``dld_endtime``
(:data:`KEPT` after they were stored) to their own institution only: another institution's file
is answered exactly like a missing one.

A detail file is UTF-8 text (a byte-order mark is allowed), or a ZIP holding exactly one ``.txt``
file of at most :data:`MAX_TEXT_BYTES`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import secrets
import zipfile
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select

from yibao.clearing.reconcile_tables import exchange_files
from yibao.kernel.errors import InvalidValue, NotFound

__all__ = [
    "KEPT",
    "MAX_FILE_BYTES",
    "MAX_TEXT_BYTES",
    "StoredFile",
    "detail_text",
    "file_bytes",
    "find_file",
    "new_number",
    "store_file",
]

#: the largest file accepted: its base64 (4/3 of it) must fit the gateway's 16 MiB request body
MAX_FILE_BYTES = 10 * 1024 * 1024
#: the largest text a ZIP may unpack to
MAX_TEXT_BYTES = 64 * 1024 * 1024
#: how long a stored file can be downloaded (and an upload used by 3202)
KEPT = timedelta(days=30)
_BYTE = 255
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One row of ``exchange_files``."""

    file_qury_no: str
    fixmedins_code: str
    infno: str
    filename: str
    size_bytes: int
    sha256: str
    content: bytes
    uploaded_at: datetime
    dld_endtime: datetime


def new_number(infno: str, now: datetime) -> str:
    """A 30-character id: the transaction (4), the time ``yyyyMMddHHmmss`` (14), 12 random digits."""
    return f"{infno}{now:%Y%m%d%H%M%S}{secrets.randbelow(10**12):012d}"


def file_bytes(value: object, *, field: str) -> bytes:
    """The upload's bytes from a base64 string or an array of byte values, within the limits."""
    if isinstance(value, str):
        try:
            content = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValue(field, "not base64 (send the file's bytes base64-encoded)") from None
    elif isinstance(value, list):
        for index, byte in enumerate(value):
            if isinstance(byte, bool) or not isinstance(byte, int) or not 0 <= byte <= _BYTE:
                raise InvalidValue(f"{field}[{index}]", f"{byte!r} is not a byte value 0-255")
        content = bytes(value)
    elif value is None:
        raise InvalidValue(field, "missing: the file's bytes (base64 or an array of byte values)")
    else:
        raise InvalidValue(
            field,
            f"expected a base64 string or an array of byte values, got {type(value).__name__}",
        )
    if not content:
        raise InvalidValue(field, "empty: the file has no bytes")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidValue(
            field, f"{len(content)} bytes, over the limit of {MAX_FILE_BYTES} bytes (10 MiB)"
        )
    return content


def store_file(
    connection: Connection, *, caller: str, infno: str, filename: str, content: bytes, now: datetime
) -> StoredFile:
    """Keep a file of the caller's, downloadable until ``now`` + :data:`KEPT`."""
    stored = StoredFile(
        file_qury_no=new_number(infno, now), fixmedins_code=caller, infno=infno, filename=filename,
        size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
        uploaded_at=now, dld_endtime=now.replace(microsecond=0) + KEPT,
    )  # fmt: skip
    connection.execute(insert(exchange_files), [asdict(stored)])
    return stored


def find_file(
    connection: Connection, *, caller: str, file_qury_no: str, field: str, now: datetime
) -> StoredFile:
    """The caller's file, while it may still be downloaded; another institution's is not found."""
    row = connection.execute(
        select(exchange_files).where(exchange_files.c.file_qury_no == file_qury_no,
                                     exchange_files.c.fixmedins_code == caller)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"{field}: no file {file_qury_no} of this institution")
    stored = StoredFile(**row._asdict())
    if now > stored.dld_endtime:
        raise InvalidValue(
            field, f"file {file_qury_no} could be used until {stored.dld_endtime:%Y-%m-%d %H:%M:%S}"
        )
    return stored


def detail_text(stored: StoredFile, *, field: str) -> str:
    """The text of a detail file (unpacked when it is a ZIP), or ``InvalidValue`` naming ``field``."""
    raw = _unzipped(stored, field) if stored.content.startswith(_ZIP_MAGIC) else stored.content
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidValue(
            field, f"file {stored.file_qury_no} is not UTF-8 text (byte {exc.start})"
        ) from None


def _unzipped(stored: StoredFile, field: str) -> bytes:
    name = stored.file_qury_no
    try:
        with zipfile.ZipFile(io.BytesIO(stored.content)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1 or not members[0].filename.lower().endswith(".txt"):
                held = ", ".join(m.filename for m in members) or "nothing"
                raise InvalidValue(
                    field, f"file {name}: a ZIP must hold exactly one .txt file; it holds {held}"
                )
            if members[0].file_size > MAX_TEXT_BYTES:
                raise InvalidValue(field, f"file {name}: {members[0].filename} unpacks to "
                                          f"{members[0].file_size} bytes, over {MAX_TEXT_BYTES}")  # fmt: skip
            return archive.read(members[0])
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
        raise InvalidValue(field, f"file {name} is not a readable ZIP: {exc}") from None
