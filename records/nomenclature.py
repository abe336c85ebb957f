"""The nomenclature of cases: the yearly file plan, its items and their retention rules.

The department's own table ships with the product (``records/data/nomenclature-12-4.csv``). A year's
nomenclature is drafted (from the shipped table, an import, or the year before), approved by the
head of department, who must not be the person who drafted it, and printed in the standard form.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from records import accounts, audit, db, spreadsheet
from records.db import utcnow
from records.errors import Conflict, Forbidden, NotFound, UserError
from records.i18n import _l
from records.models import AuditAction, Case, Nomenclature, NomenclatureItem, NomenclatureStatus, User
from records.permissions import Paper
from records.retention import RetentionKind, RetentionParseError, RetentionRule, parse_retention

SHIPPED_TABLE = Path(__file__).parent / "data" / "nomenclature-12-4.csv"
INDEX_RE = re.compile(r"^\d{1,4}(?:-\d{1,4}){1,4}$")
COLUMNS = ["index", "title_ky", "title_ru", "title_en", "retention", "note"]
# Notes that mean "not transferred to the state archive", in Kyrgyz and Russian.
_NOT_TO_STATE = ("мамлекеттик сактоого берилбейт", "на государственное хранение не передается",
                 "на госхранение не передается")
MIN_YEAR, MAX_YEAR = 1950, 2100


@dataclass(frozen=True)
class ItemRow:
    index: str
    title_ky: str
    title_ru: str
    title_en: str
    retention: str
    note: str
    rule: RetentionRule


def check_year(year: int | str | None) -> int:
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        raise UserError("bad_year", _l("The year must be a number such as 2024.")) from None
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise UserError("bad_year", _l("The year must be between %(lo)s and %(hi)s.", lo=MIN_YEAR, hi=MAX_YEAR))
    return value


def parse_row(raw: dict[str, str], line: int) -> ItemRow:
    """Validate one row of an imported table; the line number goes into every message."""
    def cell(name: str) -> str:
        # A table this office exported comes back with its formula guards; they are not part of the text.
        return spreadsheet.unquote(" ".join(str(raw.get(name) or "").split()))

    index = cell("index")
    if not INDEX_RE.match(index):
        raise UserError("bad_index", _l("Line %(line)s: the index %(index)s is not like 12-4-7.", line=line, index=index or "—"))
    titles = {k: cell(k) for k in ("title_ky", "title_ru", "title_en")}
    if not any(titles.values()):
        raise UserError("no_title", _l("Line %(line)s: the item %(index)s has no heading.", line=line, index=index))
    retention = cell("retention")
    try:
        rule = parse_retention(retention)
    except RetentionParseError as exc:
        raise UserError("bad_retention", _l("Line %(line)s: %(error)s", line=line, error=str(exc))) from None
    note = cell("note") or cell("note_ky") or cell("note_ru")
    return ItemRow(index=index, retention=retention, note=note, rule=rule, **titles)


def read_csv(data: bytes | str) -> list[ItemRow]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError("bad_encoding", _l("The CSV file must be saved as UTF-8.")) from None
    reader = csv.DictReader(io.StringIO(data))
    return _rows(reader, reader.fieldnames or [])


def read_xlsx(data: bytes) -> list[ItemRow]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise UserError("bad_file", _l("This is not a readable XLSX workbook.")) from None
    sheet = wb.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(rows, [])]
    dicts = ({header[i]: ("" if v is None else str(v)) for i, v in enumerate(r) if i < len(header)} for r in rows)
    return _rows(dicts, header)


def _rows(rows: Iterable[dict[str, str]], header: list[str]) -> list[ItemRow]:
    if "index" not in header or "retention" not in header:
        raise UserError("bad_header", _l("The first row must name the columns: %(cols)s.", cols=", ".join(COLUMNS)))
    result: list[ItemRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(rows, start=2):
        if not any((v or "").strip() for v in raw.values()):
            continue
        row = parse_row(raw, line)
        if row.index in seen:
            raise UserError("duplicate_index", _l("Line %(line)s: the index %(index)s appears twice.", line=line, index=row.index))
        seen.add(row.index)
        result.append(row)
    if not result:
        raise UserError("empty_table", _l("The table has no items."))
    return result


def shipped_rows() -> list[ItemRow]:
    return read_csv(SHIPPED_TABLE.read_bytes())


def _index_key(index: str) -> tuple[int, ...]:
    return tuple(int(p) for p in index.split("-"))


def _apply_row(item: NomenclatureItem, row: ItemRow) -> None:
    item.index = row.index
    item.title_ky, item.title_ru, item.title_en = row.title_ky, row.title_ru, row.title_en
    item.note = row.note
    set_rule(item, row.retention, row.rule)
    item.not_to_state_archive = any(marker in row.note.lower() for marker in _NOT_TO_STATE)


def set_rule(item: NomenclatureItem, text: str, rule: RetentionRule) -> None:
    """Set an item's rule. Its cases become permanent for good when the rule is permanent: editing the
    item back later does not make them destroyable."""
    if rule.kind is RetentionKind.PERMANENT and inspect(item).persistent:
        for case in item.cases:
            case.permanent = True
    item.retention = text
    item.retention_kind = rule.kind
    item.retention_years = rule.years
    item.epk = rule.epk
    item.articles = ",".join(rule.articles)


def rule_of(item: NomenclatureItem) -> RetentionRule:
    return parse_retention(item.retention)


def get(session: Session, year: int) -> Nomenclature | None:
    return session.scalar(select(Nomenclature).where(Nomenclature.year == year))


def require(session: Session, year: int) -> Nomenclature:
    nom = get(session, year)
    if nom is None:
        raise NotFound("no_nomenclature", _l("There is no nomenclature for %(year)s yet.", year=year))
    return nom


def years(session: Session) -> list[int]:
    return list(session.scalars(select(Nomenclature.year).order_by(Nomenclature.year.desc())))


def create(session: Session, year: int, rows: list[ItemRow], *, actor: User | None, based_on: int | None = None,
           source: str = "") -> Nomenclature:
    year = check_year(year)
    nom = Nomenclature(year=year, status=NomenclatureStatus.DRAFT, created_by_id=getattr(actor, "id", None),
                       based_on_year=based_on)
    for pos, row in enumerate(sorted(rows, key=lambda r: _index_key(r.index)), start=1):
        item = NomenclatureItem(position=pos)
        _apply_row(item, row)
        nom.items.append(item)
    if not db.add_or_find(session, nom, lambda: get(session, year))[1]:  # the year has one, maybe just added
        raise Conflict("nomenclature_exists", _l("The nomenclature for %(year)s already exists.", year=year))
    audit.record(session, AuditAction.NOMENCLATURE_CREATE, nom, actor=actor, year=year, items=len(rows), source=source,
                 based_on=based_on)
    return nom


def replace_items(session: Session, nom: Nomenclature, rows: list[ItemRow], *, actor: User | None,
                  source: str = "import") -> Nomenclature:
    """Bring a draft nomenclature in line with an imported table: update, add, and drop unused items."""
    if nom.status != NomenclatureStatus.DRAFT:
        raise Conflict("approved", _l("An approved nomenclature cannot be replaced; draft a new year instead."))
    by_index = {item.index: item for item in nom.items}
    incoming = {row.index for row in rows}
    for index, item in by_index.items():
        if index not in incoming:
            if item.cases:
                raise Conflict("item_in_use", _l("Item %(index)s already has cases and cannot be removed.", index=index))
            nom.items.remove(item)
    for pos, row in enumerate(sorted(rows, key=lambda r: _index_key(r.index)), start=1):
        item = by_index.get(row.index)
        if item is None:
            item = NomenclatureItem(position=pos)
            nom.items.append(item)
        item.position = pos
        _apply_row(item, row)
    session.flush()
    audit.record(session, AuditAction.NOMENCLATURE_IMPORT, nom, actor=actor, year=nom.year, items=len(rows), source=source)
    return nom


def ensure_shipped(session: Session, year: int, *, actor: User | str | None = None) -> Nomenclature:
    """The year's nomenclature, created from the shipped table when there is none."""
    return get(session, year) or create(session, year, shipped_rows(), actor=actor, source="shipped")


def rows_of(nom: Nomenclature) -> list[ItemRow]:
    return [ItemRow(index=i.index, title_ky=i.title_ky, title_ru=i.title_ru, title_en=i.title_en,
                    retention=i.retention, note=i.note, rule=rule_of(i)) for i in nom.items]


def nearest(session: Session, year: int) -> Nomenclature | None:
    """The nomenclature closest in time to ``year`` (earlier one preferred on a tie)."""
    noms = session.scalars(select(Nomenclature)).all()
    if not noms:
        return None
    return min(noms, key=lambda n: (abs(n.year - year), n.year > year))


def for_filing(session: Session, year: int, *, actor: User | None) -> Nomenclature:
    """The nomenclature to file into for ``year``; created from the nearest year (or the shipped table)
    as a draft for the records officer to adjust when filing into a year that has none."""
    year = check_year(year)
    nom = get(session, year)
    if nom is not None:
        return nom
    base = nearest(session, year)
    try:
        if base is None:
            return create(session, year, shipped_rows(), actor=actor, source="shipped")
        return create(session, year, rows_of(base), actor=actor, based_on=base.year, source="nearest")
    except Conflict:
        return require(session, year)  # drafted at the same moment by another filing: file into that one


def copy_to_year(session: Session, from_year: int, to_year: int, *, actor: User | None) -> Nomenclature:
    src = require(session, check_year(from_year))
    return create(session, to_year, rows_of(src), actor=actor, based_on=src.year, source="copy")


def approve(session: Session, nom: Nomenclature, *, actor: User) -> None:
    if nom.status == NomenclatureStatus.APPROVED:
        raise Conflict("already_approved", _l("This nomenclature is already approved."))
    if nom.created_by_id is not None and nom.created_by_id == actor.id:
        raise Forbidden("self_approval", _l("The nomenclature must be approved by someone other than its drafter."))
    flags = accounts.approval_flags(actor, Paper.NOMENCLATURE)
    nom.status = NomenclatureStatus.APPROVED
    nom.approved_by_id = actor.id
    nom.approved_at = utcnow()
    audit.record(session, AuditAction.NOMENCLATURE_APPROVE, nom, actor=actor, year=nom.year, **flags)


def update_item(session: Session, item: NomenclatureItem, *, actor: User, title_ky: str, title_ru: str,
                title_en: str, retention: str, note: str, not_to_state_archive: bool) -> None:
    """Edit an item. Editing an approved nomenclature sends it back to draft for a new approval."""
    row = parse_row({"index": item.index, "title_ky": title_ky, "title_ru": title_ru, "title_en": title_en,
                     "retention": retention, "note": note}, line=0)
    before = {"title_ky": item.title_ky, "title_ru": item.title_ru, "title_en": item.title_en,
              "retention": item.retention, "note": item.note, "not_to_state_archive": item.not_to_state_archive}
    _apply_row(item, row)
    item.not_to_state_archive = not_to_state_archive
    after = {"title_ky": item.title_ky, "title_ru": item.title_ru, "title_en": item.title_en,
             "retention": item.retention, "note": item.note, "not_to_state_archive": item.not_to_state_archive}
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changed:
        return
    nom = item.nomenclature
    if nom.status == NomenclatureStatus.APPROVED:
        nom.status = NomenclatureStatus.DRAFT
        nom.approved_at = None
        nom.approved_by_id = None
        changed["status"] = ["approved", "draft"]
    nom.created_by_id = actor.id  # whoever changed it last is its drafter for the approval rule
    session.flush()
    audit.record(session, AuditAction.NOMENCLATURE_EDIT_ITEM, item, actor=actor, year=nom.year, index=item.index,
                 changes=changed)


def export_csv(nom: Nomenclature) -> str:
    out = io.StringIO()
    writer = spreadsheet.SafeWriter(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in nom.items:
        writer.writerow([i.index, i.title_ky, i.title_ru, i.title_en, i.retention, i.note])
    return out.getvalue()


def export_xlsx(nom: Nomenclature) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = str(nom.year)
    ws.append(COLUMNS)
    for i in nom.items:
        spreadsheet.append(ws, [i.index, i.title_ky, i.title_ru, i.title_en, i.retention, i.note])
    for col, width in zip("ABCDEF", (10, 60, 60, 60, 16, 40), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def case_counts(session: Session, nom: Nomenclature) -> dict[int, int]:
    """Number of cases (volumes) per item of this nomenclature."""
    rows = session.execute(
        select(Case.item_id, func.count(Case.id))
        .join(NomenclatureItem, NomenclatureItem.id == Case.item_id)
        .where(NomenclatureItem.nomenclature_id == nom.id)
        .group_by(Case.item_id)
    )
    return {item_id: n for item_id, n in rows}
