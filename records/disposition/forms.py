"""The yearly papers in their standard forms, in Kyrgyz and Russian (English for reference), as PDF and
XLSX: the destruction act, the inventory of permanent cases, and the nomenclature of cases.

Each form carries what archival practice asks of it: the organisation and fond at the top left, the
approval block (УТВЕРЖДАЮ / БЕКИТЕМИН) at the top right, the standard columns, totals in figures and
words, the expert commission's agreement (СОГЛАСОВАНО. Протокол ЭК от __ № __), positions and lines to
sign on. What is not yet decided prints as a blank to fill in by hand, never as a claim: the sentence
that the inventories of permanent cases are approved appears only for the years whose inventories are.

The wording of every form is in :mod:`records.disposition.form_words`, the pieces they share (approval
block, signatures, the XLSX worksheet) in :mod:`records.disposition.form_parts`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import nomenclature, pdf
from records.disposition import inventories, organisation
from records.disposition.closing import CategoryCount, YearEndCount, year_end_count
from records.disposition.form_parts import (
    agreement_lines,
    approval_block,
    articles_text,
    commission_block,
    fmt_date,
    head_approval,
    organisation_lines,
    person_name,
    retention_text,
    signatures,
    worksheet,
    years_text,
)
from records.disposition.form_words import BLANK, word
from records.disposition.organisation import Organisation
from records.disposition.reports import form_language
from records.forms_text import Unit, amount
from records.models import (
    ArchiveInventory,
    Case,
    DestructionMethod,
    DisposalAct,
    DisposalActRow,
    InventoryStatus,
    Nomenclature,
    ReviewDecision,
)

__all__ = ["FORMATS", "form_language", "act_headers", "act_cells", "act_form", "approved_inventories",
           "inventory_headers", "inventory_cells", "inventory_form", "nomenclature_headers", "nomenclature_form"]


# --- the destruction act -------------------------------------------------------------------------

ACT_KEYS = ("no", "act_heading", "date_range", "inventory_ref", "act_index", "volumes", "retention", "note")
ACT_WIDTHS = (4, 32, 12, 15, 16, 9, 16, 12)


def _row_heading(row: DisposalActRow, lang: str) -> str:
    return {"ky": row.heading_ky, "ru": row.heading_ru}.get(lang, "") or row.heading


def act_headers(lang: str) -> list[str]:
    return [word(lang, k) for k in ACT_KEYS]


def act_cells(row: DisposalActRow, lang: str) -> list[Any]:
    """The eight columns of the standard act form for one row."""
    return [row.position, _row_heading(row, lang), row.date_range,
            word(lang, "nomenclature_of", year=row.case_year), row.case_index, row.volumes,
            retention_text(row.retention, lang), row.note]


@dataclass(frozen=True)
class ApprovedInventories:
    """The years of an act whose permanent cases are all in approved inventories, with their protocols."""

    years: list[int]
    protocols: list[tuple[str, date]]


def approved_inventories(session: Session, years: Sequence[int]) -> ApprovedInventories:
    """Years (among ``years``) whose permanent cases are all in approved (or handed-over) inventories, with
    those inventories' protocols. A year with a permanent case outside one is not among them, and neither
    is a year with no permanent case in an approved inventory (there is nothing to state)."""
    if not years:
        return ApprovedInventories([], [])
    outside = {case.year for case in inventories.outside_approved_inventories(session, years)}
    listed = session.execute(
        select(Case.year, ArchiveInventory.protocol_number, ArchiveInventory.protocol_date)
        .join(ArchiveInventory, ArchiveInventory.id == Case.inventory_id)
        .where(Case.permanent.is_(True), Case.year.in_(sorted(set(years))),
               ArchiveInventory.status.in_([InventoryStatus.APPROVED, InventoryStatus.TRANSFERRED]))
        .order_by(ArchiveInventory.protocol_date)
    ).all()
    covered = sorted({year for year, _n, _d in listed} - outside)
    protocols: list[tuple[str, date]] = []
    for year, number, on in listed:
        if year in covered and number and on and (number, on) not in protocols:
            protocols.append((number, on))
    return ApprovedInventories(covered, protocols)


def _act_basis(act: DisposalAct, lang: str, org: Organisation) -> str:
    return word(lang, "act_basis", standard_list=word(lang, "standard_list"),
              articles=word(lang, "articles", articles=articles_text([r.retention for r in act.rows])),
              fond=org.fond_number or "______", organisation=org.name or BLANK)


def _act_after(act: DisposalAct, lang: str, inventories: ApprovedInventories) -> list[str]:
    rows = act.destroy_rows
    years = sorted({r.case_year for r in rows})
    lines = [word(lang, "act_total", amount=amount(sum(r.volumes for r in rows), Unit.STORAGE_UNITS, lang),
                years=years_text(years, lang))]
    if inventories.years:
        refs = "".join(word(lang, "protocol_ref", date=fmt_date(on), number=number)
                       for number, on in inventories.protocols)
        lines.append(word(lang, "inventories_approved", years=years_text(inventories.years, lang), protocols=refs))
    kept = [r for r in act.rows if not r.destroys and r.decision]
    if kept:
        lines.append(word(lang, "kept_by_commission"))
        for r in kept:
            key = "kept_permanent" if r.decision == ReviewDecision.PERMANENT else "kept_extend"
            lines.append(word(lang, key, index=r.case_index, year=r.case_year, n=r.extend_years or ""))
    return lines


def _destruction_record(act: DisposalAct, lang: str) -> list[pdf.Part]:
    if act.executed_at is None:
        return []
    method = act.destruction_method if act.destruction_method in set(DestructionMethod) else DestructionMethod.DELETED
    rows = act.destroy_rows
    line = word(lang, "destroyed", amount=amount(sum(r.volumes for r in rows), Unit.STORAGE_UNITS, lang),
              method=word(lang, f"method_{method}"), date=fmt_date(act.destroyed_on or act.executed_at))
    return [pdf.Lines([line]), signatures(lang, [(word(lang, "destroyed_by"), person_name(act.executed_by))])]


def act_pdf(act: DisposalAct, org: Organisation, inventories: ApprovedInventories, lang: str) -> bytes:
    lang = form_language(lang)
    rows = act.destroy_rows
    return pdf.render(pdf.TableForm(
        title=word(lang, "act_title"), subtitle_lines=[word(lang, "act_sub", number=act.number,
                                                        date=fmt_date(act.act_date))],
        heading_left=organisation_lines(lang, org),
        corner=head_approval(lang, org, act.approved_by, act.approved_at),
        before_table=[_act_basis(act, lang, org)], headers=act_headers(lang),
        rows=[act_cells(r, lang) for r in rows], widths=ACT_WIDTHS,
        after_table=_act_after(act, lang, inventories),
        closing=[signatures(lang, [(word(lang, "records_officer"), person_name(act.drafted_by))]),
                 commission_block(lang, org, act.protocol_number, act.protocol_date),
                 *_destruction_record(act, lang)],
    ))


def act_xlsx(act: DisposalAct, org: Organisation, inventories: ApprovedInventories, lang: str) -> bytes:
    lang = form_language(lang)
    approval = head_approval(lang, org, act.approved_by, act.approved_at)
    title = [*organisation_lines(lang, org), " ".join(approval), "", word(lang, "act_title"),
             word(lang, "act_sub", number=act.number, date=fmt_date(act.act_date)), _act_basis(act, lang, org)]
    after = _act_after(act, lang, inventories)
    after += [f"{word(lang, 'records_officer')}: {BLANK} {person_name(act.drafted_by)}",
              " ".join(agreement_lines(lang, act.protocol_number, act.protocol_date))]
    for part in _destruction_record(act, lang):
        if isinstance(part, pdf.Lines):
            after += list(part.lines)
    return worksheet(title, act_headers(lang), [act_cells(r, lang) for r in act.destroy_rows],
                 (6, 50, 22, 20, 22, 12, 26, 20), after, f"{act.number}", heading=word(lang, "act_title"))


# --- the inventory of permanent cases ------------------------------------------------------------

INVENTORY_KEYS = ("no", "index", "heading", "date_range", "sheets", "note")
INVENTORY_WIDTHS = (5, 12, 50, 18, 10, 20)


def inventory_headers(lang: str) -> list[str]:
    return [word(lang, k) for k in INVENTORY_KEYS]


def _case_range(case: Case) -> str:
    if case.first_doc_date and case.last_doc_date:
        first, last = fmt_date(case.first_doc_date), fmt_date(case.last_doc_date)
        return first if first == last else f"{first} – {last}"
    return str(case.year)


def inventory_cells(n: int, case: Case, lang: str) -> list[Any]:
    volume = {"ru": "т.", "ky": "т.", "en": "vol."}[form_language(lang)]
    heading = case.item.title(lang) + (f" ({volume} {case.volume})" if case.volume > 1 else "")
    return [n, case.index, heading, _case_range(case), case.sheets or "", case.note or case.item.note]


def _inventory_heading(inventory: ArchiveInventory, cases: Sequence[Case], lang: str) -> tuple[str, str]:
    """Title and subtitle: the years are the cases' years, not the year the inventory was drawn up."""
    years = years_text(sorted({c.year for c in cases}), lang)
    return word(lang, "inventory_title", number=inventory.number), word(lang, "inventory_sub", years=years)


def _inventory_total(cases: Sequence[Case], lang: str) -> str:
    if not cases:
        return word(lang, "inventory_empty")
    return word(lang, "inventory_total", amount=amount(len(cases), Unit.CASES, lang), first=1, last=len(cases))


def inventory_pdf(inventory: ArchiveInventory, cases: Sequence[Case], org: Organisation, lang: str) -> bytes:
    lang = form_language(lang)
    title, subtitle = _inventory_heading(inventory, cases, lang)
    return pdf.render(pdf.TableForm(
        title=title, subtitle_lines=[subtitle], heading_left=organisation_lines(lang, org),
        corner=head_approval(lang, org, inventory.approved_by, inventory.approved_at),
        headers=inventory_headers(lang), rows=[inventory_cells(n, c, lang) for n, c in enumerate(cases, start=1)],
        widths=INVENTORY_WIDTHS, after_table=[_inventory_total(cases, lang)],
        closing=[signatures(lang, [(f"{word(lang, 'compiler')}: {word(lang, 'records_officer')}",
                                     person_name(inventory.created_by))]),
                 commission_block(lang, org, inventory.protocol_number, inventory.protocol_date)],
    ))


def inventory_xlsx(inventory: ArchiveInventory, cases: Sequence[Case], org: Organisation, lang: str) -> bytes:
    lang = form_language(lang)
    title, subtitle = _inventory_heading(inventory, cases, lang)
    approval = head_approval(lang, org, inventory.approved_by, inventory.approved_at)
    after = [_inventory_total(cases, lang),
             f"{word(lang, 'compiler')}: {word(lang, 'records_officer')} {BLANK} {person_name(inventory.created_by)}",
             " ".join(agreement_lines(lang, inventory.protocol_number, inventory.protocol_date))]
    return worksheet([*organisation_lines(lang, org), " ".join(approval), "", title, subtitle],
                 inventory_headers(lang), [inventory_cells(n, c, lang) for n, c in enumerate(cases, start=1)],
                 (6, 12, 60, 24, 12, 30), after, f"{inventory.number}", heading=title)


# --- the nomenclature of cases -------------------------------------------------------------------

NOMENCLATURE_KEYS = ("index", "nom_heading", "nom_count", "retention", "note")
NOMENCLATURE_WIDTHS = (11, 44, 12, 18, 22)


def nomenclature_headers(lang: str) -> list[str]:
    return [word(lang, k) for k in NOMENCLATURE_KEYS]


def year_end_rows(count: YearEndCount, lang: str) -> list[list[Any]]:
    lines = [("permanent", count.permanent), ("over_10", count.over_10_years), ("up_to_10", count.up_to_10_years),
             ("all", CategoryCount(count.total, count.carried_over, count.epk))]
    return [[word(lang, key), line.total, line.carried_over, line.epk] for key, line in lines]


def year_end_headers(lang: str) -> list[str]:
    return [word(lang, k) for k in ("by_retention", "total", "carried", "epk")]


def nomenclature_pdf(nom: Nomenclature, counts: dict[int, int], count: YearEndCount, org: Organisation,
                     lang: str) -> bytes:
    lang = form_language(lang)
    rows = [[item.index, item.title(lang), counts.get(item.id, ""), retention_text(item.retention, lang), item.note]
            for item in nom.items]
    approved = nom.approved_by is not None
    subtitle = [word(lang, "nom_sub", year=nom.year)] + ([] if approved else [word(lang, "not_approved")])
    return pdf.render(pdf.TableForm(
        title=word(lang, "nom_title"), subtitle_lines=subtitle,
        heading_left=[line for line in (org.name, org.department) if line] or [BLANK * 3],
        corner=approval_block(lang, word(lang, "head"), person_name(nom.approved_by),
                              nom.approved_at if approved else None),
        headers=nomenclature_headers(lang), rows=rows, widths=NOMENCLATURE_WIDTHS, landscape=False,
        closing=[pdf.Lines([word(lang, "year_end_title", year=nom.year)], bold=True),
                 pdf.Grid(year_end_headers(lang), year_end_rows(count, lang), (40, 20, 20, 20)),
                 signatures(lang, [(word(lang, "records_officer"), "")])],
    ))


# --- the forms of stored objects -----------------------------------------------------------------

FORMATS = ("pdf", "xlsx")


def act_form(session: Session, act: DisposalAct, fmt: str, lang: str) -> bytes:
    """The act's standard form as ``fmt`` (pdf or xlsx), with what the catalogue knows today."""
    org = organisation.details(session)
    inventories = approved_inventories(session, sorted({r.case_year for r in act.destroy_rows}))
    return (act_pdf if fmt == "pdf" else act_xlsx)(act, org, inventories, lang)


def inventory_form(session: Session, inventory: ArchiveInventory, fmt: str, lang: str) -> bytes:
    org = organisation.details(session)
    cases = inventories.inventory_cases(session, inventory)
    return (inventory_pdf if fmt == "pdf" else inventory_xlsx)(inventory, cases, org, lang)


def nomenclature_form(session: Session, nom: Nomenclature, lang: str) -> bytes:
    return nomenclature_pdf(nom, nomenclature.case_counts(session, nom), year_end_count(session, nom),
                            organisation.details(session), lang)
