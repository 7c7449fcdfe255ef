"""Catalogue use cases on a real directory: import is all-or-nothing, the store loads as values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from yibao.catalog.formats import COLUMNS, FileKind
from yibao.catalog.model import CatalogEntry
from yibao.catalog.service import (
    CatalogStore,
    demo_store,
    find_institution,
    import_catalog_file,
)
from yibao.kernel.codes import ChrgitmLv, ListType
from yibao.kernel.errors import CatalogError, RejectedFile
from yibao.kernel.tiers import HospitalTier

CATALOG_HEADER = ",".join(COLUMNS[FileKind.CATALOG])
INSTITUTIONS_HEADER = ",".join(COLUMNS[FileKind.INSTITUTIONS])
MAPPING_HEADER = ",".join(COLUMNS[FileKind.MAPPING])
DRUG_A = "XA01AAA001A001010100001,甲药片,101,01,09,990100,0,12.50,,,,0,,2024-01-01,,1"
DRUG_B = "ZA01AAA0001010100001,乙颗粒,102,02,11,990100,0.10,,,,,1,限儿童,2024-01-01,,1"
ITEM_B = "001102000040000,门急诊留观诊查费,201,02,02,990100,0.20,30,27,24,21,0,,2024-01-01,,1"
ITEM_C = "003105120040000,儿童前牙树脂冠修复,201,03,06,990100,0,,,,,0,,2024-01-01,,1"
HOSPITAL = "H99010000001,示范市第一人民医院,02,990100,hospital,1,1"
PHARMACY = "P99010000001,示范大药房,11,990100,pharmacy,1,0"
MAPPING = "H99010000001,HIS-0001,XA01AAA001A001010100001,2024-01-01,"


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def store(tmp_path: Path) -> CatalogStore:
    return CatalogStore(tmp_path / "store")


@pytest.fixture
def filled(store: CatalogStore, tmp_path: Path) -> CatalogStore:
    """A store holding all three files."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    import_catalog_file(store=store, path=write(inbox / "c.csv", CATALOG_HEADER, DRUG_A, ITEM_B))
    import_catalog_file(store=store, path=write(inbox / "i.csv", INSTITUTIONS_HEADER, HOSPITAL))
    import_catalog_file(store=store, path=write(inbox / "m.csv", MAPPING_HEADER, MAPPING))
    return store


def test_an_empty_or_missing_directory_loads_as_empty(store: CatalogStore) -> None:
    data = store.load()
    assert data.catalogs == {} and data.institutions == {} and data.mappings == ()


def test_import_into_an_empty_store_adds_every_row(store: CatalogStore, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", CATALOG_HEADER, DRUG_A, DRUG_B, ITEM_B, ITEM_C)
    report = import_catalog_file(store=store, path=path)
    assert (report.kind, report.rows, report.added, report.replaced, report.total) == (
        FileKind.CATALOG, 4, 4, 0, 4,
    )  # fmt: skip
    assert dict(report.by_list_type) == {
        ListType.WESTERN_MEDICINE: 1,
        ListType.CHINESE_PATENT_MEDICINE: 1,
        ListType.SERVICE_ITEM: 2,
    }
    assert dict(report.by_chrgitm_lv) == {
        ChrgitmLv.CLASS_A: 1,
        ChrgitmLv.CLASS_B: 2,
        ChrgitmLv.CLASS_C: 1,
    }
    summary = report.summary()
    assert "4 rows read" in summary and "新增 4 added" in summary and "替换 0 replaced" in summary
    assert "201 服务项目 2" in summary and "02 乙类 2" in summary
    catalog = store.load().catalogs["990100"]
    assert len(catalog) == 4
    item = catalog.entry("001102000040000", date(2026, 3, 1))
    assert item is not None and item.ceiling(HospitalTier.PRIMARY) == Decimal("21")


def test_import_replaces_rows_of_the_same_key_and_adds_new_ones(
    filled: CatalogStore, tmp_path: Path
) -> None:
    cheaper = ITEM_B.replace(",30,27,24,21,", ",28.5,,,,")
    report = import_catalog_file(
        store=filled, path=write(tmp_path / "c2.csv", CATALOG_HEADER, cheaper, ITEM_C)
    )
    assert (report.rows, report.added, report.replaced, report.total) == (2, 1, 1, 3)
    item = filled.load().catalogs["990100"].entry("001102000040000", date(2024, 5, 1))
    assert isinstance(item, CatalogEntry)
    assert item.price_ceilings == {HospitalTier.TIER3: Decimal("28.5")}


def test_a_new_version_after_the_stored_one_ends_is_added(
    filled: CatalogStore, tmp_path: Path
) -> None:
    closing = ITEM_B.replace("2024-01-01,,1", "2024-01-01,2025-12-31,1")
    next_version = ITEM_B.replace("0.20,30,27,24,21", "0.10,35,,,").replace(
        "2024-01-01,,1", "2026-01-01,,1"
    )
    path = write(tmp_path / "c2.csv", CATALOG_HEADER, closing, next_version)
    report = import_catalog_file(store=filled, path=path)
    assert (report.added, report.replaced) == (1, 1)
    catalog = filled.load().catalogs["990100"]
    old = catalog.entry("001102000040000", date(2025, 6, 1))
    new = catalog.entry("001102000040000", date(2026, 6, 1))
    assert old is not None and old.selfpay_prop == Decimal("0.20")
    assert new is not None and new.selfpay_prop == Decimal("0.10")


def test_a_file_with_one_bad_row_changes_no_byte(filled: CatalogStore, tmp_path: Path) -> None:
    before = snapshot(filled.directory)
    bad = DRUG_B.replace(",0.10,", ",1.10,")
    path = write(tmp_path / "c2.csv", CATALOG_HEADER, ITEM_C, bad, ITEM_B)
    with pytest.raises(RejectedFile) as caught:
        import_catalog_file(store=filled, path=path)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), 3, "selfpay_prop")
    assert snapshot(filled.directory) == before  # no temporary file left either


@pytest.mark.parametrize("lines", [[INSTITUTIONS_HEADER, HOSPITAL, HOSPITAL], ["code,name"]])
def test_bad_institution_files_change_no_byte(
    filled: CatalogStore, tmp_path: Path, lines: list[str]
) -> None:
    before = snapshot(filled.directory)
    with pytest.raises(RejectedFile):
        import_catalog_file(store=filled, path=write(tmp_path / "i2.csv", *lines))
    assert snapshot(filled.directory) == before


def test_a_row_overlapping_a_stored_row_is_refused_naming_the_new_row(
    filled: CatalogStore, tmp_path: Path
) -> None:
    before = snapshot(filled.directory)
    overlapping = DRUG_A.replace("2024-01-01,,1", "2025-07-01,,1")
    path = write(tmp_path / "c2.csv", CATALOG_HEADER, ITEM_C, overlapping)
    with pytest.raises(RejectedFile) as caught:
        import_catalog_file(store=filled, path=path)
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), 3, "begndate")
    assert "overlap" in problem.reason
    assert str(filled.path(FileKind.CATALOG)) in problem.reason  # names the stored row too
    assert snapshot(filled.directory) == before


def test_institutions_and_mapping_import_and_load(filled: CatalogStore, tmp_path: Path) -> None:
    report = import_catalog_file(
        store=filled, path=write(tmp_path / "i2.csv", INSTITUTIONS_HEADER, HOSPITAL, PHARMACY)
    )
    assert (report.kind, report.added, report.replaced, report.total) == (
        FileKind.INSTITUTIONS, 1, 1, 2,
    )  # fmt: skip
    assert report.by_list_type == () and "list_type" not in report.summary()
    data = filled.load()
    assert find_institution(data, "P99010000001").tier is HospitalTier.PRIMARY
    assert find_institution(data, "H99010000001").tier is HospitalTier.TIER3
    [mapping] = data.mappings
    assert (mapping.medins_list_codg, mapping.med_list_codg) == ("HIS-0001", DRUG_A.split(",")[0])


def test_find_institution_names_an_unknown_code(filled: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="fixmedins_code: institution H99010000009 is not in"):
        find_institution(filled.load(), "H99010000009")


def test_stored_files_are_written_sorted_and_reimport_replaces_everything(
    filled: CatalogStore, tmp_path: Path
) -> None:
    stored = filled.path(FileKind.CATALOG)
    lines = stored.read_text(encoding="utf-8").splitlines()
    assert lines[0] == CATALOG_HEADER
    assert [line.split(",")[0] for line in lines[1:]] == sorted(
        line.split(",")[0] for line in lines[1:]
    )
    copy = tmp_path / "again.csv"
    copy.write_bytes(stored.read_bytes())
    report = import_catalog_file(store=filled, path=copy)
    assert (report.added, report.replaced, report.total) == (0, 2, 2)
    assert stored.read_bytes() == copy.read_bytes()


def test_xlsx_import(store: CatalogStore, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(CATALOG_HEADER.split(","))
    book.active.append(DRUG_A.split(","))
    book.save(tmp_path / "c.xlsx")
    report = import_catalog_file(store=store, path=tmp_path / "c.xlsx")
    assert (report.rows, report.added) == (1, 1)


def test_a_store_file_of_the_wrong_kind_is_named(store: CatalogStore) -> None:
    store.directory.mkdir(parents=True)
    write(store.path(FileKind.CATALOG), INSTITUTIONS_HEADER, HOSPITAL)
    with pytest.raises(
        CatalogError,
        match=r"catalog\.csv: holds institutions rows \(by its header\), expected catalog rows",
    ):
        store.load()


def test_demo_store_points_at_the_package_data() -> None:
    store = demo_store()
    assert store.directory.parts[-3:] == ("demo", "data", "catalog")
    assert store.path(FileKind.CATALOG).is_file()
