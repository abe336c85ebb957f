"""Reading the parts of a Word (DOCX) package that hold its text, and only those.

Opening a package with ``docx.Document`` parses every XML part it knows, styles included (often
hundreds of kilobytes), though text needs only the main document part, its headers and footers, and
its footnotes and endnotes. These helpers find those parts through the package relationships, as python-docx does, and parse
them with python-docx's own parser settings (entities are never resolved, nothing is fetched from the
network), so the element classes, and the text they give, are python-docx's.

The main document part is read as a stream (:func:`iter_body`): each paragraph or table is handed
out and dropped, so memory holds one block, not the whole tree (hundreds of megabytes of XML would
otherwise take gigabytes); reading stops after ``max_bytes`` of XML, or at a single block larger than
``MAX_BLOCK_BYTES``.
"""
from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any

RT_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
RT_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
RT_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
CT_WML_DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_NS_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_BODY = f"{{{_NS_W}}}body"
_W_DOCUMENT = f"{{{_NS_W}}}document"
_W_SECT_PR = f"{{{_NS_W}}}sectPr"
_W_P_PR = f"{{{_NS_W}}}pPr"
# Content controls (w:sdt) at body level hold paragraphs and tables of their own.
_BODY_BLOCKS = frozenset({f"{{{_NS_W}}}p", f"{{{_NS_W}}}tbl", f"{{{_NS_W}}}sdt", _W_SECT_PR})
_CHUNK = 64 * 2**10
# One paragraph or table is never this large in a real document; reading stops there.
MAX_BLOCK_BYTES = 16 * 2**20


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


def iter_body(archive: zipfile.ZipFile, partname: str, max_bytes: int, *, whole: bool = False) -> Iterator[Any]:
    """The body-level paragraphs, tables and section properties of the main document part, in order,
    as python-docx's element classes, parsed as a stream. Each block is dropped once the consumer
    asks for the next. Reading stops after ``max_bytes`` of XML or at a block over ``MAX_BLOCK_BYTES``;
    with ``whole`` that raises ``NotAWordDocument`` instead, and so does XML that breaks off."""
    from docx.oxml.parser import element_class_lookup
    from lxml import etree

    # Only the ends of blocks are reported (nested ones too: their parent tells them apart).
    parser = etree.XMLPullParser(events=("end",), tag=list(_BODY_BLOCKS), remove_blank_text=True,
                                 resolve_entities=False, no_network=True, load_dtd=False)
    parser.set_element_class_lookup(element_class_lookup)
    fed = since_block = 0
    root = None
    with archive.open(_member(partname)) as stream:
        while chunk := stream.read(_CHUNK):
            fed += len(chunk)
            since_block += len(chunk)
            if fed > max_bytes or since_block > MAX_BLOCK_BYTES:
                if whole:
                    raise NotAWordDocument(f"{partname} is larger than allowed")
                return
            parser.feed(chunk)
            for _event, element in parser.read_events():
                body = element.getparent()
                if body is None or body.tag != _W_BODY:
                    continue
                if root is None:
                    root = body.getparent()
                    if root is None or root.tag != _W_DOCUMENT or root.getparent() is not None:
                        raise NotAWordDocument(f"{partname} is not a w:document")
                since_block = 0
                yield element
                body.remove(element)
        root = parser.close()  # raises for XML that breaks off
    if root.tag != _W_DOCUMENT or root.find(_W_BODY) is None:
        raise NotAWordDocument(f"{partname} has no document body")


def header_footer_references(block: Any) -> list[str]:
    """The relationship ids of the headers and footers (primary, first-page and even-page) that a
    section ending at ``block`` (a paragraph carrying section properties, or the body's last section
    properties) defines itself."""
    from docx.enum.section import WD_HEADER_FOOTER

    if block.tag != _W_SECT_PR:
        properties = block.find(_W_P_PR)
        block = properties.find(_W_SECT_PR) if properties is not None else None
        if block is None:
            return []
    kinds = (WD_HEADER_FOOTER.PRIMARY, WD_HEADER_FOOTER.FIRST_PAGE, WD_HEADER_FOOTER.EVEN_PAGE)
    references = [block.get_headerReference(kind) for kind in kinds]
    references += [block.get_footerReference(kind) for kind in kinds]
    return [reference.rId for reference in references if reference is not None]


def _parse_capped(archive: zipfile.ZipFile, partname: str, max_bytes: int) -> Any:
    target = _member(partname)
    if archive.getinfo(target).file_size > max_bytes:
        raise NotAWordDocument(f"{target} is larger than allowed")
    return parse_part(archive, partname)


def related_parts(archive: zipfile.ZipFile, partname: str, ids: list[str], max_bytes: int) -> list[Any]:
    """The parsed parts that ``ids`` (relationships of ``partname``) point to, in order and each once,
    each at most ``max_bytes``."""
    related = relationships(archive, partname)
    seen: set[str] = set()
    parts = []
    for rid in ids:
        if rid not in related or related[rid][1] in seen:
            continue
        seen.add(related[rid][1])
        parts.append(_parse_capped(archive, related[rid][1], max_bytes))
    return parts


def notes(archive: zipfile.ZipFile, partname: str, max_bytes: int) -> list[Any]:
    """The footnotes and endnotes (``w:footnote``/``w:endnote`` elements) the document carries,
    without the separator notes Word keeps there; each part at most ``max_bytes``."""
    found = []
    for kind, target in relationships(archive, partname).values():
        if kind in (RT_FOOTNOTES, RT_ENDNOTES):
            root = _parse_capped(archive, target, max_bytes)
            found += [note for note in root if note.get(f"{{{_NS_W}}}type") in (None, "normal")]
    return found


def package_xml_bytes(path: Any) -> int:
    """The XML a zip-based office file (DOCX, XLSX, ODT, ODS) holds, by its members' declared sizes:
    what reading its text costs."""
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist() if info.filename.lower().endswith(".xml"))
