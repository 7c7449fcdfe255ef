"""A claim's documents: uploaded, checked by their content, kept by checksum, read back verified.

A document is accepted only if its type is one of :class:`~yibao.crossregion.claims_model.DocType`,
it is not empty and at most :data:`~yibao.crossregion.claims_model.MAX_DOCUMENT_BYTES`, its first
bytes show a PDF, JPEG or PNG (the `filetype` library reads the signature; the name and the
declared type prove nothing), and the same bytes are not on the claim already. Every check runs
before anything is written: a refused upload leaves no row and no file.

The file lies at ``<var_dir>/claims/<claim_no>/<sha256>``, written to a temporary name beside it,
flushed to disk and renamed, and only then is the row inserted; if the insert fails the file is
removed again. (Should the transaction fail after this function returns, the file stays as an
orphan named by its checksum: the same upload later finds and reuses it.)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

import filetype  # type: ignore[import-untyped]
from sqlalchemy import Connection, func, insert, select

from yibao.crossregion.claim_tables import claim_documents
from yibao.crossregion.claims import step
from yibao.crossregion.claims_model import (
    ClaimConflict,
    MediaType,
    StepKind,
    check_document,
    next_state,
    text,
)
from yibao.crossregion.claims_records import ClaimDocument
from yibao.crossregion.claims_store import load_claim, load_documents
from yibao.kernel.errors import InvalidValue, NotFound

__all__ = ["DOCUMENTS_DIR", "add_document", "detect_media_type", "read_document"]

#: the directory under the var directory that holds every claim's documents
DOCUMENTS_DIR = "claims"
#: declared types that say nothing (the content decides)
_UNDECLARED = {"", "application/octet-stream", "binary/octet-stream"}


def detect_media_type(content: bytes) -> MediaType:
    """PDF, JPEG or PNG by the file's signature; anything else is refused naming what it is."""
    kind = filetype.guess(content[:8192])
    if kind is not None and kind.mime in {m.value for m in MediaType}:
        return MediaType(kind.mime)
    found = (
        f"a {kind.extension} file ({kind.mime})"
        if kind is not None
        else f"not a known file type (first bytes {content[:8].hex(' ')})"
    )
    raise InvalidValue("content", f"{found}: only PDF, JPEG or PNG documents are accepted")


def add_document(
    connection: Connection, *, root: Path, claim_no: str, doc_type: str, content: bytes,
    filename: str, actor: str, now: datetime, declared: str | None = None,
) -> ClaimDocument:  # fmt: skip
    """Keep an uploaded document of a claim; ``root`` is the var directory."""
    kind = check_document(doc_type, len(content))
    media = detect_media_type(content)
    if declared is not None and declared.split(";")[0].strip().lower() not in {
        *_UNDECLARED,
        media.value,
    }:
        raise InvalidValue("media_type", f"declared {declared} but the content is {media.value}")
    who = text(actor, field="actor", limit=60)
    shown = _display_name(filename)
    claim = load_claim(connection, claim_no, lock=True)
    next_state(claim.state, StepKind.DOCUMENT_ADDED)
    digest = hashlib.sha256(content).hexdigest()
    for held in load_documents(connection, claim_no):
        if held.sha256 == digest:
            raise ClaimConflict(
                "content", f"the same file is already document {held.doc_no} ({held.doc_type.value}) "
                f"of claim {claim_no} (sha256 {digest})",
            )  # fmt: skip
    relative = f"{DOCUMENTS_DIR}/{claim_no}/{digest}"
    created = _write(root / relative, content)
    try:
        last = connection.execute(
            select(func.max(claim_documents.c.doc_no)).where(claim_documents.c.claim_no == claim_no)
        ).scalar_one()
        document = ClaimDocument(
            claim_no=claim_no, doc_no=(last or 0) + 1, doc_type=kind, media_type=media.value,
            size_bytes=len(content), sha256=digest, filename=shown, path=relative,
            uploaded_by=who, uploaded_at=now,
        )  # fmt: skip
        connection.execute(insert(claim_documents), [{**_row(document)}])
        step(connection, claim, StepKind.DOCUMENT_ADDED, actor=who, now=now,
             text=f"上传{kind.label}：{shown}",
             detail={"doc_no": document.doc_no, "doc_type": kind.value, "sha256": digest,
                     "size_bytes": len(content), "media_type": media.value})  # fmt: skip
    except BaseException:
        if created:
            (root / relative).unlink(missing_ok=True)
        raise
    return document


def read_document(
    connection: Connection, *, root: Path, claim_no: str, doc_no: int
) -> tuple[ClaimDocument, bytes]:
    """A document and its bytes, checked against the stored checksum."""
    found = [d for d in load_documents(connection, claim_no) if d.doc_no == doc_no]
    if not found:
        load_claim(
            connection, claim_no
        )  # NotFound names the claim when it is the claim that is missing
        raise NotFound(f"doc_no: claim {claim_no} has no document {doc_no}")
    document = found[0]
    try:
        content = (root / document.path).read_bytes()
    except FileNotFoundError:
        raise NotFound(
            f"doc_no: the file of document {doc_no} is missing ({document.path})"
        ) from None
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise ClaimConflict(
            "doc_no", f"the file of document {doc_no} no longer matches its checksum"
        )
    return document, content


def _write(target: Path, content: bytes) -> bool:
    """Write ``content`` to ``target`` durably; False when an identical file is already there."""
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == target.name:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _display_name(filename: str) -> str:
    """The uploaded file's name as shown: its last path part, without control characters."""
    name = "".join(
        ch for ch in (filename or "").replace("\\", "/").split("/")[-1] if ch.isprintable()
    )
    return text(name, field="filename", limit=200, required=False) or "(unnamed)"


def _row(document: ClaimDocument) -> dict[str, object]:
    return {**{name: getattr(document, name) for name in document.__slots__},
            "doc_type": document.doc_type.value}  # fmt: skip
