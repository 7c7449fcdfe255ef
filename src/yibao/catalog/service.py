"""Catalogue use cases: a directory of CSV files as the store, importing a file into it, lookups.

A :class:`CatalogStore` is a directory holding ``catalog.csv``, ``institutions.csv`` and
``mapping.csv`` (a missing file is an empty one). :func:`import_catalog_file` is all-or-nothing:
the file is read whole, merged by key into the stored file of its kind, the merged result is
checked again (a new row whose dates overlap a stored row of the same code is refused, naming the
new file and row), and only then is the stored file replaced atomically (a temporary file in the
same directory, then ``os.replace``). A file with any problem leaves every stored byte as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from yibao.catalog.formats import (
    CatalogFile,
    FileKind,
    Located,
    Record,
    conflict_problems,
    read_catalog_file,
    record_key,
    write_catalog_csv,
)
from yibao.catalog.model import CatalogEntry, Institution, MappingEntry, RegionCatalog
from yibao.kernel.codes import ChrgitmLv, ListType
from yibao.kernel.errors import CatalogError, RejectedFile

__all__ = [
    "FILE_NAMES",
    "CatalogData",
    "CatalogStore",
    "ImportReport",
    "demo_store",
    "find_institution",
    "import_catalog_file",
]

FILE_NAMES = {
    FileKind.CATALOG: "catalog.csv",
    FileKind.INSTITUTIONS: "institutions.csv",
    FileKind.MAPPING: "mapping.csv",
}
_KIND_LABELS = {
    FileKind.CATALOG: "目录 catalogue",
    FileKind.INSTITUTIONS: "定点机构 institutions",
    FileKind.MAPPING: "目录对照 mapping",
}


@dataclass(frozen=True, slots=True)
class CatalogData:
    """Everything a store holds, as domain values: catalogues by region, institutions by code."""

    catalogs: dict[str, RegionCatalog]
    institutions: dict[str, Institution]
    mappings: tuple[MappingEntry, ...]


class CatalogStore:
    """A directory of the three catalogue files; reads them whole and replaces them atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"CatalogStore({str(self.directory)!r})"

    def path(self, kind: FileKind) -> Path:
        return self.directory / FILE_NAMES[kind]

    def read(self, kind: FileKind) -> CatalogFile:
        """The stored file of ``kind`` (empty when the file does not exist)."""
        path = self.path(kind)
        if not path.exists():
            return CatalogFile(str(path), kind, (), ())
        stored = read_catalog_file(path)
        if stored.kind is not kind:
            raise CatalogError(
                f"{path}: holds {stored.kind} rows (by its header), expected {kind} rows"
            )
        return stored

    def load(self) -> CatalogData:
        """Every file of the store as domain values; a bad stored file is refused whole."""
        entries = self.read(FileKind.CATALOG).records
        by_region: dict[str, list[CatalogEntry]] = {}
        for entry in entries:
            assert isinstance(entry, CatalogEntry)
            by_region.setdefault(entry.admdvs, []).append(entry)
        institutions = {}
        for institution in self.read(FileKind.INSTITUTIONS).records:
            assert isinstance(institution, Institution)
            institutions[institution.fixmedins_code] = institution
        mappings = self.read(FileKind.MAPPING).records
        return CatalogData(
            catalogs={region: RegionCatalog(region, rows) for region, rows in by_region.items()},
            institutions=institutions,
            mappings=tuple(m for m in mappings if isinstance(m, MappingEntry)),
        )

    def save(self, kind: FileKind, records: Iterable[Record]) -> None:
        """Replace the file of ``kind`` atomically: a temporary file beside it, then a rename."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path(kind)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=self.directory)
        os.close(handle)
        try:
            write_catalog_csv(Path(temporary), records, kind=kind)
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.chmod(temporary, target.stat().st_mode if target.exists() else 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: rows read, added and replaced; for a catalogue, counts by class."""

    file: str
    target: str
    kind: FileKind
    rows: int
    added: int
    replaced: int
    total: int
    by_list_type: tuple[tuple[ListType, int], ...] = ()
    by_chrgitm_lv: tuple[tuple[ChrgitmLv, int], ...] = ()

    def summary(self) -> str:
        """A few lines for a person: what was read, what changed, what the file holds now."""
        lines = [
            f"{self.file} → {self.target} ({_KIND_LABELS[self.kind]}): "
            f"读入 {self.rows} rows read, 新增 {self.added} added, 替换 {self.replaced} replaced; "
            f"现有 {self.total} rows in the store"
        ]
        if self.by_list_type:
            counts = ", ".join(f"{code} {code.label} {n}" for code, n in self.by_list_type)
            lines.append(f"  目录类别 list_type: {counts}")
        if self.by_chrgitm_lv:
            counts = ", ".join(f"{code} {code.label} {n}" for code, n in self.by_chrgitm_lv)
            lines.append(f"  收费项目等级 chrgitm_lv: {counts}")
        return "\n".join(lines)


def import_catalog_file(*, store: CatalogStore, path: Path) -> ImportReport:
    """Merge a file into the store by key, or change nothing and raise :class:`RejectedFile`."""
    incoming = read_catalog_file(path)
    stored = store.read(incoming.kind)
    new_keys = {record_key(record) for record in incoming.records}
    stored_keys = {record_key(record) for record in stored.records}
    kept = [
        Located(record, stored.name, row)
        for record, row in zip(stored.records, stored.rows, strict=True)
        if record_key(record) not in new_keys
    ]
    new = [
        Located(record, incoming.name, row)
        for record, row in zip(incoming.records, incoming.rows, strict=True)
    ]
    problems = conflict_problems([*kept, *new])  # stored rows first: problems name the new row
    if problems:
        raise RejectedFile(problems)
    merged = [item.record for item in (*kept, *new)]
    store.save(incoming.kind, merged)
    entries = [r for r in incoming.records if isinstance(r, CatalogEntry)]
    return ImportReport(
        file=incoming.name,
        target=str(store.path(incoming.kind)),
        kind=incoming.kind,
        rows=len(incoming.records),
        added=len(new_keys - stored_keys),
        replaced=len(new_keys & stored_keys),
        total=len(merged),
        by_list_type=tuple(sorted(Counter(e.list_type for e in entries).items())),
        by_chrgitm_lv=tuple(sorted(Counter(e.chrgitm_lv for e in entries).items())),
    )


def find_institution(data: CatalogData, code: str) -> Institution:
    """The institution of ``code`` (fixmedins_code), or :class:`CatalogError` naming it."""
    try:
        return data.institutions[code]
    except KeyError:
        raise CatalogError(f"fixmedins_code: institution {code} is not in the catalogue") from None


def demo_store() -> CatalogStore:
    """The catalogue of the demo region 990100 (示范市) shipped with the package."""
    return CatalogStore(Path(str(resources.files("yibao.demo") / "data" / "catalog")))
