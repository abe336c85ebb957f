"""The gate's checks on office files: zip containers (DOCX, XLSX, ODT, ODS: member sizes and ratios,
names, macros, embedded programs, XML prologs), OLE files (DOC, XLS: macros) and RTF (embedded objects).
Called from :func:`records.capture.intake.safety.check_file`; like it, they read only bounded prefixes.
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

import olefile
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from records.capture.intake import ooxml
from records.capture.intake.base import READ_CHUNK, Limits, Refusal, Verdict, refuse

# XML prologs (declaration, comments, doctype) are tiny in real documents.
_MAX_PROLOG_BYTES = 2**20
_PROLOG_FIRST_READ = 4096  # holds the whole prolog of almost every part

_EXECUTABLE_EXTENSIONS = frozenset(
    {
        "exe", "dll", "com", "scr", "pif", "cpl", "msi", "msp", "bat", "cmd", "ps1", "psm1", "vbs",
        "vbe", "js", "jse", "wsf", "wsh", "hta", "jar", "class", "sh", "elf", "so", "dylib", "lnk",
        "reg", "app", "apk",
    }
)
_EXECUTABLE_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
# OLE classes abused to smuggle programs or exploits through RTF.
_RTF_DANGEROUS_OBJECT = re.compile(rb"\\objclass\s+(?:Package|Equation|OLE2Link|htmlfile)", re.IGNORECASE)


# --- zip containers (DOCX, XLSX, ODT, ODS) -----------------------------------


def _inspect_zip_document(path: Path, limits: Limits) -> Verdict:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_zip_sizes(infos, path.stat().st_size, limits)
            for info in infos:
                _check_member_name(info.filename)
            _check_macro_markers(archive)
            for info in infos:
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise refuse("encrypted")
                is_xml = info.filename.lower().endswith((".xml", ".rels"))
                with archive.open(info) as member:
                    # XML parts: enough for the prolog too, so each member is opened and inflated once.
                    head = member.read(_PROLOG_FIRST_READ if is_xml else 8)
                    if head.startswith(_EXECUTABLE_SIGNATURES):
                        raise refuse("executable_content")
                    if head.startswith(olefile.MAGIC):
                        _check_embedded_ole(archive, info)
                    if is_xml:
                        _check_xml_prolog(member, head)
    except Refusal:
        raise
    except RuntimeError as exc:  # encrypted member
        raise refuse("encrypted") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise refuse("damaged") from exc
    return False, False


def _check_zip_sizes(infos: list[zipfile.ZipInfo], archive_size: int, limits: Limits) -> None:
    if len(infos) > limits.max_zip_members:
        raise refuse("inflates_too_much")
    total = sum(info.file_size for info in infos)
    if total > limits.max_unzipped_bytes:
        raise refuse("inflates_too_much")
    if total > limits.zip_ratio_floor_bytes and total > archive_size * limits.max_zip_ratio:
        raise refuse("inflates_too_much")
    for info in infos:
        if info.file_size > limits.zip_ratio_floor_bytes and (
            info.file_size > max(info.compress_size, 1) * limits.max_zip_ratio
        ):
            raise refuse("inflates_too_much")
        if info.file_size > limits.max_xml_bytes and info.filename.lower().endswith((".xml", ".rels")):
            raise refuse("inflates_too_much")


def _check_member_name(name: str) -> None:
    lowered = name.lower()
    member = PurePosixPath(lowered)
    if member.name in {"vbaproject.bin", "vbadata.xml"} or "/vbaproject" in lowered:
        raise refuse("macros")
    # LibreOffice keeps Basic modules and scripts in these folders; the *-lc.xml and
    # *-lb.xml files are only library indexes, present in macro-free files too.
    if lowered.startswith(("basic/", "scripts/")) and not lowered.endswith(("/", "-lc.xml", "-lb.xml")):
        raise refuse("macros")
    if member.suffix.lstrip(".") in _EXECUTABLE_EXTENSIONS or "/activex/" in f"/{lowered}":
        raise refuse("executable_content")


def _check_macro_markers(archive: zipfile.ZipFile) -> None:
    try:
        types = _read_member_head(archive, archive.getinfo("[Content_Types].xml"), 2**20)
    except KeyError:
        return
    if b"macroEnabled" in types or b"vbaProject" in types:
        raise refuse("macros")


def _check_embedded_ole(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Embedded OLE objects are normal (charts, equations) unless they carry VBA or a packaged file."""
    if info.file_size > 64 * 2**20:
        raise refuse("executable_content")
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            names = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    except Exception:
        return  # not a readable OLE file: inert bytes as far as Office is concerned
    _refuse_ole_macros(names)


def _read_member_head(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> bytes:
    with archive.open(info) as member:
        return member.read(size)


class _RootReached(Exception):
    """Raised by the parser target once the document element starts: the prolog is over."""


class _StopAtRoot:
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootReached

    def close(self) -> None:
        return None


def _check_xml_prolog(member: zipfile.ZipExtFile, head: bytes) -> None:
    """Refuse DTDs and entities; stop reading as soon as the root element begins. ``head``: the bytes
    already read from ``member``."""
    parser = DefusedXMLParser(target=_StopAtRoot(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    consumed = 0
    for chunk in _chunks(member, head):
        consumed += len(chunk)
        try:
            parser.feed(chunk)
        except _RootReached:
            return
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
            raise refuse("xml_entities") from exc
        except ParseError as exc:
            raise refuse("damaged") from exc
        if consumed > _MAX_PROLOG_BYTES:
            raise refuse("xml_entities")
    if consumed:
        raise refuse("damaged")  # XML ended without ever opening a root element


def _chunks(stream: io.BufferedIOBase | zipfile.ZipExtFile, head: bytes = b"") -> Iterator[bytes]:
    """``head`` (already read from ``stream``), then the rest in pieces that end at multiples of ``READ_CHUNK``.

    A reader that usually stops early (at an XML root) thus inflates little more than ``head``."""
    if head:
        yield head
        if len(head) < READ_CHUNK and (rest := stream.read(READ_CHUNK - len(head))):
            yield rest
    while chunk := stream.read(READ_CHUNK):
        yield chunk


def inspect_docx(path: Path, limits: Limits) -> Verdict:
    verdict = _inspect_zip_document(path, limits)
    # That it opens: the parts its text comes from (the main document, the sections' headers and
    # footers) are found as Word finds them and parse. The other parts (styles, settings, ...) passed
    # the zip and XML checks above; parsing them would prove nothing more about the text, and styles
    # alone can be hundreds of kilobytes. The main document is parsed as a stream, each block dropped
    # as soon as it is read.
    try:
        with zipfile.ZipFile(path) as archive:
            partname = ooxml.main_part_name(archive)
            references = [rid for block in ooxml.iter_body(archive, partname, limits.max_xml_bytes, whole=True)
                          for rid in ooxml.header_footer_references(block)]
            ooxml.related_parts(archive, partname, references, limits.max_xml_bytes)
    except Exception as exc:
        raise refuse("damaged") from exc
    return verdict


def inspect_xlsx(path: Path, limits: Limits) -> Verdict:
    verdict = _inspect_zip_document(path, limits)
    try:
        import openpyxl

        # A file object, not a path: openpyxl refuses paths without an .xlsx extension.
        with warnings.catch_warnings(), path.open("rb") as handle:
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            book.close()
    except Exception as exc:
        raise refuse("damaged") from exc
    return verdict


def inspect_odf(path: Path, limits: Limits) -> Verdict:
    verdict = _inspect_zip_document(path, limits)
    with zipfile.ZipFile(path) as archive:
        if "content.xml" not in archive.namelist():
            raise refuse("damaged")
    return verdict


# --- OLE (DOC, XLS) ----------------------------------------------------------


def _ole_names(path: Path) -> tuple[set[str], olefile.OleFileIO]:
    try:
        ole = olefile.OleFileIO(str(path))
    except Exception as exc:
        raise refuse("damaged") from exc
    return {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}, ole


def _refuse_ole_macros(names: set[str]) -> None:
    for name in names:
        top = name.split("/", 1)[0]
        if top in {"macros", "_vba_project_cur", "vba", "_vba_project"} or name.endswith("/vba"):
            raise refuse("macros")
        if "\x01ole10native" in name:
            raise refuse("executable_content")


def inspect_doc(path: Path, limits: Limits) -> Verdict:
    names, ole = _ole_names(path)
    with ole:
        _refuse_ole_macros(names)
        try:
            fib = ole.openstream("WordDocument").read(0x20)
        except Exception as exc:
            raise refuse("damaged") from exc
    if len(fib) < 0x20 or fib[0:2] != b"\xec\xa5":
        raise refuse("damaged")
    if fib[0x0B] & 0x01:  # FIB fEncrypted
        raise refuse("encrypted")
    return False, False


def inspect_xls(path: Path, limits: Limits) -> Verdict:
    import xlrd

    names, ole = _ole_names(path)
    with ole:
        _refuse_ole_macros(names)
    try:
        book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
        book.release_resources()
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise refuse("encrypted") from exc
        raise refuse("damaged") from exc
    except Exception as exc:
        raise refuse("damaged") from exc
    return False, False


# --- RTF ---------------------------------------------------------------------


def inspect_rtf(path: Path, limits: Limits) -> Verdict:
    with path.open("rb") as handle:
        if not handle.read(5) == b"{\\rtf":
            raise refuse("damaged")
        tail = b""
        while chunk := handle.read(READ_CHUNK * 16):
            if _RTF_DANGEROUS_OBJECT.search(tail + chunk):
                raise refuse("executable_content")
            tail = chunk[-64:]
    return False, False
