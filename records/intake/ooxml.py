"""Reading the parts of a Word (DOCX) package that hold its text, and only those.

Opening a package with ``docx.Document`` parses every XML part it knows, styles included (often
hundreds of kilobytes), though text needs only the main document part and its headers and footers.
(and footnotes and endnotes).
These helpers find those parts through the package relationships, as python-docx does, and parse
them with python-docx's own parser (entities are never resolved, nothing is fetched from the
network), so the element classes, and the text they give, are python-docx's.
"""
from __future__ import annotations

import posixpath
import zipfile
from typing import Any

RT_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
RT_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
RT_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
CT_WML_DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_NS_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class NotAWordDocument(ValueError):
    """The package has no readable WordprocessingML main document part."""


def _member(partname: str) -> str:
    return partname.lstrip("/")


def _rels_name(partname: str) -> str:
    """The relationships part of ``partname`` ("/" for the package itself)."""
    directory, name = posixpath.split(partname)
    return posixpath.join(_member(directory), "_rels", f"{name}.rels")


def relationships(archive: zipfile.ZipFile, partname: str) -> dict[str, tuple[str, str]]:
    """Internal relationships of a part (``"/"``: the package): rId -> (type, target part name)."""
    try:
        data = archive.read(_rels_name(partname))
    except KeyError:
        return {}
    base = posixpath.dirname(partname)  # targets are relative to the part's folder (or absolute)
    out: dict[str, tuple[str, str]] = {}
    for rel in _parse(data).iter(f"{{{_NS_RELS}}}Relationship"):
        if rel.get("TargetMode") != "External":
            target = posixpath.normpath(posixpath.join(base, rel.get("Target", "")))
            out[rel.get("Id", "")] = (rel.get("Type", ""), target)
    return out


def main_part_name(archive: zipfile.ZipFile) -> str:
    """Part name of the main document, checked to be a Word document as ``docx.Document`` checks it."""
    targets = [t for kind, t in relationships(archive, "/").values() if kind == RT_OFFICE_DOCUMENT]
    if len(targets) != 1:
        raise NotAWordDocument(f"{len(targets)} main document relationships")
    partname = targets[0]
    if _content_type(archive, partname) != CT_WML_DOCUMENT_MAIN:
        raise NotAWordDocument(f"{partname} is not a Word document part")
    return partname


def _content_type(archive: zipfile.ZipFile, partname: str) -> str | None:
    root = _parse(archive.read("[Content_Types].xml"))
    for override in root.iter(f"{{{_NS_TYPES}}}Override"):
        if override.get("PartName", "").lower() == partname.lower():
            return override.get("ContentType")
    ext = posixpath.splitext(partname)[1].lstrip(".").lower()
    for default in root.iter(f"{{{_NS_TYPES}}}Default"):
        if default.get("Extension", "").lower() == ext:
            return default.get("ContentType")
    return None


def _parse(data: bytes) -> Any:
    from docx.oxml.parser import parse_xml

    return parse_xml(data)


def parse_part(archive: zipfile.ZipFile, partname: str) -> Any:
    """The root element of an XML part, as python-docx's element classes."""
    return _parse(archive.read(_member(partname)))


def main_document(archive: zipfile.ZipFile) -> tuple[str, Any]:
    """Part name and parsed ``w:document`` element of the main document part."""
    partname = main_part_name(archive)
    root = parse_part(archive, partname)
    if root.tag != f"{{{_NS_W}}}document" or root.find(f"{{{_NS_W}}}body") is None:
        raise NotAWordDocument(f"{partname} has no document body")
    return partname, root


def section_headers_and_footers(archive: zipfile.ZipFile, partname: str, document: Any) -> list[Any]:
    """The parsed ``w:hdr``/``w:ftr`` parts the sections refer to, in order and each once: per section
    its headers, then its footers (primary, first-page and even-page ones)."""
    from docx.enum.section import WD_HEADER_FOOTER

    kinds = (WD_HEADER_FOOTER.PRIMARY, WD_HEADER_FOOTER.FIRST_PAGE, WD_HEADER_FOOTER.EVEN_PAGE)
    related = relationships(archive, partname)
    seen: set[str] = set()
    parts = []
    for sect_pr in document.sectPr_lst:
        references = [sect_pr.get_headerReference(kind) for kind in kinds]
        references += [sect_pr.get_footerReference(kind) for kind in kinds]
        for reference in references:
            if reference is None or reference.rId not in related:
                continue
            target = related[reference.rId][1]
            if target not in seen:
                seen.add(target)
                parts.append(parse_part(archive, target))
    return parts


def notes(archive: zipfile.ZipFile, partname: str) -> list[Any]:
    """The footnotes and endnotes (``w:footnote``/``w:endnote`` elements) the document carries,
    without the separator notes Word keeps there."""
    found = []
    for kind, target in relationships(archive, partname).values():
        if kind in (RT_FOOTNOTES, RT_ENDNOTES):
            root = parse_part(archive, target)
            found += [note for note in root if note.get(f"{{{_NS_W}}}type") in (None, "normal")]
    return found
