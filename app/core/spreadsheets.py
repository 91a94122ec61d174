"""Bounded reading of uploaded spreadsheets (XLSX and CSV) into rows of stripped strings.

An upload's size says little about the work it causes: a 400 KB XLSX can hold a 400 MB
shared-strings part, and XML can define entities that expand a few bytes into gigabytes. So every
limit here is on what the file *expands to*, and every refusal is a ``SpreadsheetError`` whose
message (Chinese msgid, translated) names the limit:

- the ZIP directory: at most ``max_members`` parts, read from the end record before ``zipfile``
  builds its list (a directory of a million tiny entries would otherwise cost hundreds of MB);
- every part's declared uncompressed size (``ZipInfo.file_size``) at most ``max_part_bytes`` and
  their sum at most ``max_total_bytes``, checked before anything is inflated; then the bytes
  actually inflated are counted while streaming, per part and in total, in case a header lies
  (``zipfile`` also stops at the declared size and then fails the CRC check);
- only STORED and DEFLATED parts, none encrypted;
- XML through expat in a safe mode: any DOCTYPE is refused (so no entity can be declared, and
  billion-laughs or external-entity tricks fail at once), parameter entities are never parsed, an
  undeclared entity is a parse error. The parts are parsed streaming with SAX-style handlers —
  no element tree is built, so there is nothing to clear and memory does not grow with the part —
  except inside expat itself, which keeps every open element and the whole of the current tag:
  so elements may nest at most ``MAX_DEPTH`` deep and no more than ``MAX_TOKEN_BYTES`` may pass
  without a ``<`` (eight million nested elements compress to 24 KB and would cost about 1 GB);
- ``max_rows`` rows with content (``TooManyRows``), ``max_cells`` cell and row elements in all
  (empty and ignored ones count too, so a flood of ``<c/>`` elements is cut short),
  ``max_cell_chars`` characters per kept cell and ``max_total_chars`` in all kept cells (shared
  strings counted once), ``max_strings`` shared strings. Columns after ``max_columns`` are read
  past and ignored, as before. With the defaults a worker's memory for one file stays near
  100 MB above its baseline even for a file built to the limits (tests/test_spreadsheet_safety.py).

Why not openpyxl on the import path: its read-only mode still loads the whole shared-strings part
into memory, builds an element per string and has no per-cell or per-part limits, and its XML
safety depends on whether defusedxml happens to be installed. This reader needs only the
standard library, reads the first worksheet (resolved through ``_rels/.rels``, ``xl/workbook.xml``
and its relationships, as Excel does), keeps only the shared strings that the kept cells use
(a second, equally bounded pass), and returns what openpyxl gave the importer: strings, integers
as ``10086`` rather than ``10086.0``, booleans as ``True``/``False``, and dates (cells with a date
number format) as ``2024-05-01`` or ``2024-05-01 09:30:00``.

CSV: decoded lazily (on a decoding error it starts again in the next encoding), read one physical line
at a time with a budget of ``max_row_chars`` characters per row, so no single row — however many
commas or quoted line breaks — costs more than that; the same row, cell and character limits
apply. ``csv.field_size_limit`` is process-wide state and is left alone: the row budget is smaller.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.parsers import expat

from flask_babel import lazy_gettext as _l

from app.core.domain import InvalidInput

MB = 1024 * 1024
CHUNK = 64 * 1024
EXCEL_MAX_ROW = 1_048_576
MAX_STYLES = 65_536  # Excel's own limit on cell formats is 64,000
MAX_DEPTH = 64  # a worksheet nests 7 deep (worksheet, sheetData, row, c, is, r, t)
MAX_TOKEN_BYTES = MB  # a tag, or a text between tags (Excel's longest cell is 32,767 characters)
DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


@dataclass(frozen=True)
class Limits:
    """How much work one uploaded spreadsheet may cause."""

    max_rows: int = 10_001
    max_columns: int = 30
    max_cells: int = 500_000
    max_cell_chars: int = 2_000
    max_total_chars: int = 10_000_000
    max_row_chars: int = 65_536  # CSV: characters of one row, line breaks in quoted cells included
    max_strings: int = 500_000
    max_part_bytes: int = 32 * MB
    max_total_bytes: int = 64 * MB
    max_members: int = 1_000


class SpreadsheetError(InvalidInput):
    """A file that cannot or may not be read (a ValueError, 422); the message is for the user."""


class TooManyRows(SpreadsheetError):
    """The table has content after its last allowed row."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(str(_l("表格超过 %(n)d 行的上限，请拆分文件。", n=limit)))


class _Done(Exception):
    """Everything needed from a part has been read."""


def _unreadable() -> SpreadsheetError:
    return SpreadsheetError(str(_l("无法读取这个 Excel 文件，请确认它是 .xlsx 格式。")))


def _too_many_cells(limits: Limits) -> SpreadsheetError:
    return SpreadsheetError(
        str(
            _l(
                "表格超过 %(n)d 个单元格的上限（空行和空单元格也计算在内），请删除多余的行和列后再上传。",
                n=limits.max_cells,
            )
        )
    )


def _too_much_text(limits: Limits) -> SpreadsheetError:
    return SpreadsheetError(str(_l("表格中的文字共超过 %(n)d 个字符的上限。", n=limits.max_total_chars)))


def _cell_too_long(row: int, limits: Limits) -> SpreadsheetError:
    return SpreadsheetError(str(_l("第 %(row)d 行有单元格超过 %(n)d 个字符的上限。", row=row, n=limits.max_cell_chars)))


# XLSX: the archive -------------------------------------------------------------------------------


def read_xlsx_rows(data: bytes, limits: Limits | None = None) -> list[list[str]]:
    """Read the first worksheet of an XLSX file into rows of stripped strings, within ``limits``."""
    limits = limits or Limits()
    try:
        archive = _Archive(data, limits)
        try:
            return _read_workbook(archive, limits)
        finally:
            archive.close()
    except SpreadsheetError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        expat.ExpatError,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        KeyError,
        IndexError,
        struct.error,
    ) as error:
        raise _unreadable() from error


def _check_directory(data: bytes, limits: Limits) -> None:
    """Refuse a ZIP whose central directory is too big before ``zipfile`` reads it into objects."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF), max(0, len(data) - 18))
    if end < 0:
        raise _unreadable()
    entries, size = struct.unpack_from("<HI", data, end + 10)
    locator = end - 20
    if locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":  # ZIP64: the real numbers are there
        record = locator - 56
        if record < 0 or data[record : record + 4] != b"PK\x06\x06":
            raise _unreadable()
        entries, size = struct.unpack_from("<QQ", data, record + 32)
    if entries > limits.max_members:
        raise SpreadsheetError(str(_l("Excel 文件包含超过 %(n)d 个部件，超出上限。", n=limits.max_members)))
    if size > limits.max_members * 1024:
        raise _unreadable()


class _Archive:
    """The parts of an XLSX file, checked by their declared sizes and counted as they are inflated."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        _check_directory(data, limits)
        self.limits = limits
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        infos = self.zip.infolist()
        if len(infos) > limits.max_members:
            raise SpreadsheetError(str(_l("Excel 文件包含超过 %(n)d 个部件，超出上限。", n=limits.max_members)))
        self.parts: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in infos:
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _unreadable()
            if info.file_size > limits.max_part_bytes:
                raise self._part_too_big(info.filename)
            declared += info.file_size
            self.parts.setdefault(info.filename.lower(), info)
        if declared > limits.max_total_bytes:
            raise self._total_too_big()
        self.inflated = 0

    def close(self) -> None:
        """Release the archive."""
        self.zip.close()

    def has(self, name: str) -> bool:
        """Whether the archive holds a part of this name (case-insensitive, as OPC names are)."""
        return name.lower() in self.parts

    def stream(self, name: str) -> Iterator[bytes]:
        """The inflated bytes of one part, in chunks, refused as soon as a limit is passed."""
        info = self.parts.get(name.lower())
        if info is None:
            raise _unreadable()
        count = 0
        with self.zip.open(info) as handle:
            while chunk := handle.read(CHUNK):
                count += len(chunk)
                self.inflated += len(chunk)
                if count > info.file_size:  # the header lied (zipfile stops there too; this is a second lock)
                    raise _unreadable()
                if count > self.limits.max_part_bytes:
                    raise self._part_too_big(info.filename)
                if self.inflated > self.limits.max_total_bytes:
                    raise self._total_too_big()
                yield chunk

    def _part_too_big(self, name: str) -> SpreadsheetError:
        mb = self.limits.max_part_bytes // MB
        return SpreadsheetError(
            str(
                _l(
                    "Excel 文件中的部件「%(part)s」解压后超过 %(mb)d MB 的上限，请删除多余的内容（如图片、其他工作表）后再上传。",
                    part=name[:80],
                    mb=mb,
                )
            )
        )

    def _total_too_big(self) -> SpreadsheetError:
        mb = self.limits.max_total_bytes // MB
        return SpreadsheetError(
            str(_l("Excel 文件解压后共超过 %(mb)d MB 的上限，请删除多余的内容（如图片、其他工作表）后再上传。", mb=mb))
        )


def _refuse_dtd(*args: object) -> None:
    raise SpreadsheetError(
        str(_l("Excel 文件包含不允许的 XML 声明（DTD 或实体），请在 Excel 中另存为新的 .xlsx 文件后再上传。"))
    )


def _parse(
    archive: _Archive,
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream one XML part through expat in a safe mode: no DOCTYPE (so no entities), bounded depth and tokens."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    depth = 0

    def opened(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:  # expat keeps every open element: a deep nest is a memory bomb of its own
            raise _unreadable()
        start(tag, attrs)

    def closed(tag: str) -> None:
        nonlocal depth
        depth -= 1
        if end:
            end(tag)

    parser.StartElementHandler = opened
    parser.EndElementHandler = closed
    if text:
        parser.CharacterDataHandler = text
    chunks = archive.stream(name)
    since_tag = 0  # bytes since the last "<": a tag (with its attributes) is held whole, so it is bounded
    try:
        for chunk in chunks:
            first = chunk.find(b"<")
            if since_tag + (len(chunk) if first < 0 else first) > MAX_TOKEN_BYTES:
                raise _unreadable()
            if first >= 0:
                since_tag = len(chunk) - chunk.rfind(b"<")
            else:
                since_tag += len(chunk)
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Done:
        pass
    finally:
        chunks.close()


_LOCAL: dict[str, str] = {}
_COLUMNS: dict[str, int] = {}
_CACHE_SIZE = 4096


def _local(name: str) -> str:
    """``c`` for ``http://…/main c`` (expat joins namespace and name with a space); cached, bounded."""
    tag = _LOCAL.get(name)
    if tag is None:
        tag = name[name.rfind(" ") + 1 :]
        if len(_LOCAL) < _CACHE_SIZE:
            _LOCAL[name] = tag
    return tag


def _relationships(archive: _Archive, part: str, limits: Limits) -> dict[str, tuple[str, str]]:
    """The relationships of a part: id -> (type, resolved target part name)."""
    folder, file = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", file + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if not archive.has(rels):
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) != "Relationship" or attrs.get("TargetMode") == "External":
            return
        if len(found) >= limits.max_members:
            raise _unreadable()
        target = attrs.get("Target", "")
        target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[attrs.get("Id", "")] = (attrs.get("Type", ""), target)

    _parse(archive, rels, start)
    return found


def _by_type(relationships: dict[str, tuple[str, str]], suffix: str) -> str | None:
    return next((target for kind, target in relationships.values() if kind.endswith(suffix)), None)


def _read_workbook(archive: _Archive, limits: Limits) -> list[list[str]]:
    workbook = _by_type(_relationships(archive, "", limits), "/officeDocument") or "xl/workbook.xml"
    relationships = _relationships(archive, workbook, limits)
    first: dict[str, str] = {}
    date1904 = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal date1904
        tag = _local(name)
        if tag == "workbookPr":
            date1904 = attrs.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            first["id"] = next((value for key, value in attrs.items() if _local(key) == "id"), "")
            raise _Done

    _parse(archive, workbook, start)
    if first.get("id") not in relationships:
        raise _unreadable()
    sheet = relationships[first["id"]][1]
    styles = _by_type(relationships, "/styles")
    date_styles = _date_styles(archive, styles) if styles and archive.has(styles) else set()
    reader = _SheetReader(limits, date_styles, date1904)
    _parse(archive, sheet, reader.start, reader.end, reader.text)
    if reader.has_refs:
        strings = _by_type(relationships, "/sharedStrings") or "xl/sharedStrings.xml"
        reader.fill(_shared_strings(archive, strings, reader.needed(), limits, reader.chars))
    return reader.table()


# XLSX: the parts ---------------------------------------------------------------------------------


def _is_date_format(code: str) -> bool:
    code = _FORMAT_NOISE.sub("", code).lower()
    return any(letter in code for letter in "dmyhs")


def _date_styles(archive: _Archive, part: str) -> set[int]:
    """Indexes of the cell formats (cellXfs) that show numbers as dates or times."""
    date_formats = set(DATE_FORMAT_IDS)
    styles: set[int] = set()
    where = {"cellXfs": False, "count": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "numFmt":
            if len(date_formats) < MAX_STYLES and _is_date_format(attrs.get("formatCode", "")[:255]):
                date_formats.add(int(attrs.get("numFmtId", "-1")))
        elif tag == "cellXfs":
            where["cellXfs"] = True
        elif tag == "xf" and where["cellXfs"]:
            if where["count"] < MAX_STYLES and int(attrs.get("numFmtId", "0")) in date_formats:
                styles.add(where["count"])
            where["count"] += 1

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            raise _Done

    _parse(archive, part, start, end)
    return styles


def _shared_strings(
    archive: _Archive, part: str, needed: set[int], limits: Limits, chars: int
) -> dict[int, str | None]:
    """The shared strings the kept cells use (None for one longer than the cell limit); ``chars`` already kept."""
    reader = _StringsReader(needed, limits, chars)
    if archive.has(part):
        _parse(archive, part, reader.start, reader.end, reader.text)
    return reader.found


class _StringsReader:
    """SAX handlers for the shared-strings part: count every string, keep the needed ones."""

    def __init__(self, needed: set[int], limits: Limits, chars: int) -> None:
        self.needed = needed
        self.limits = limits
        self.chars = chars
        self.found: dict[int, str | None] = {}
        self.index = -1
        self.keep = self.collect = False
        self.phonetic = self.length = 0
        self.pieces: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """An element opens."""
        tag = _LOCAL.get(name) or _local(name)
        if tag == "si":
            self.index += 1
            if self.index >= self.limits.max_strings:
                raise SpreadsheetError(
                    str(_l("Excel 文件的共享字符串超过 %(n)d 个的上限。", n=self.limits.max_strings))
                )
            self.keep = self.index in self.needed
            if self.keep:
                self.pieces = []
                self.length = 0
        elif tag == "t":
            self.collect = self.keep and not self.phonetic
        elif tag == "rPh":
            self.phonetic += 1

    def text(self, data: str) -> None:
        """Character data of a needed string, up to the cell limit."""
        if self.collect:
            self.length += len(data)
            if self.length <= self.limits.max_cell_chars:
                self.pieces.append(data)

    def end(self, name: str) -> None:
        """An element closes."""
        tag = _LOCAL.get(name) or _local(name)
        if tag == "t":
            self.collect = False
        elif tag == "si":
            if self.keep:
                self.found[self.index] = "".join(self.pieces) if self.length <= self.limits.max_cell_chars else None
                self.chars += min(self.length, self.limits.max_cell_chars)
                if self.chars > self.limits.max_total_chars:
                    raise _too_much_text(self.limits)
        elif tag == "rPh":
            self.phonetic -= 1


class _SheetReader:
    """SAX handlers that turn a worksheet's sheetData into rows, counting every row and cell element."""

    def __init__(self, limits: Limits, date_styles: set[int], date1904: bool) -> None:
        self.limits = limits
        self.date_styles = {str(style) for style in date_styles}  # compared with the raw ``s`` attribute
        self.date1904 = date1904
        self.rows: dict[int, list[str | int]] = {}  # an int is a shared-string index until fill()
        self.has_refs = False
        self.elements = self.chars = 0
        self.in_data = self.in_row = self.in_cell = self.collect = False
        self.phonetic = 0
        self.row = self.column = self.length = 0
        self.kind = "n"
        self.style = "0"
        self.has_value = False
        self.pieces: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """An element opens."""
        tag = _LOCAL.get(name) or _local(name)
        if self.in_cell:
            if tag == "v" or (tag == "t" and not self.phonetic):
                self.collect = self.has_value = True
            elif tag == "rPh":
                self.phonetic += 1
        elif tag == "c" and self.in_row:
            self.elements += 1
            if self.elements > self.limits.max_cells:
                raise _too_many_cells(self.limits)
            self.in_cell = True
            reference = attrs.get("r")
            self.column = _column(reference) if reference else self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s", "0")
            self.pieces = []
            self.length = 0
            self.has_value = False
        elif tag == "row" and self.in_data:
            self.elements += 1
            if self.elements > self.limits.max_cells:
                raise _too_many_cells(self.limits)
            self.in_row = True
            number = attrs.get("r")
            self.row = int(number) if number else self.row + 1
            if not 1 <= self.row <= EXCEL_MAX_ROW:
                raise _unreadable()
            self.column = 0
        elif tag == "sheetData":
            self.in_data = True

    def text(self, data: str) -> None:
        """Character data, kept only inside a value and only up to the cell limit."""
        if self.collect:
            self.length += len(data)
            if self.length <= self.limits.max_cell_chars:
                self.pieces.append(data)

    def end(self, name: str) -> None:
        """An element closes."""
        tag = _LOCAL.get(name) or _local(name)
        if tag == "c":
            if self.in_cell:
                self.in_cell = False
                if self.has_value and self.column <= self.limits.max_columns:
                    self._cell()
        elif tag in ("v", "t"):
            self.collect = False
        elif tag == "row":
            self.in_row = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "sheetData":
            raise _Done

    def _cell(self) -> None:
        raw = "".join(self.pieces)
        too_long = self.length > self.limits.max_cell_chars  # then only the first characters were kept
        if self.kind != "s" and not too_long and not raw.strip():
            return
        if self.row > self.limits.max_rows:
            raise TooManyRows(self.limits.max_rows)
        if too_long:
            raise _cell_too_long(self.row, self.limits)
        if self.kind == "s":
            self.has_refs = True
            self._put(self.row, self.column, int(raw))
            return
        if self.kind == "b":
            value = str(raw.strip() == "1")
        elif self.kind == "n":
            value = self._number(raw.strip())
        else:  # inlineStr, str (a formula's text), e (an error such as #N/A), d (an ISO date)
            value = raw.strip()
        self.chars += len(value)
        if self.chars > self.limits.max_total_chars:
            raise _too_much_text(self.limits)
        self._put(self.row, self.column, value)

    def _number(self, text: str) -> str:
        try:
            number: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text
        if self.style in self.date_styles and 0 <= number < 2_958_466:
            return _excel_date(float(number), self.date1904)
        if isinstance(number, float) and number.is_integer():
            return str(int(number))
        return str(number)

    def _put(self, row: int, column: int, value: str | int) -> None:
        cells = self.rows.get(row)
        if cells is None:
            cells = self.rows[row] = []
        if len(cells) < column:
            cells.extend([""] * (column - len(cells)))
        cells[column - 1] = value

    def needed(self) -> set[int]:
        """The shared strings the kept cells refer to."""
        return {value for cells in self.rows.values() for value in cells if isinstance(value, int)}

    def fill(self, strings: dict[int, str | None]) -> None:
        """Put the shared strings into the cells that refer to them."""
        for row, cells in self.rows.items():
            for position, index in enumerate(cells):
                if isinstance(index, int):
                    if index not in strings:
                        raise _unreadable()
                    value = strings[index]
                    if value is None:
                        raise _cell_too_long(row, self.limits)
                    cells[position] = value.strip()

    def table(self) -> list[list[str]]:
        """Rows 1..last row with content (rows without content are empty lists); call after fill()."""
        last = max(self.rows, default=0)
        return [[str(value) for value in self.rows.get(number, [])] for number in range(1, last + 1)]


def _column(reference: str) -> int:
    """1 for ``A7``, 28 for ``AB3``; a reference without letters or beyond three letters is malformed."""
    letters = reference.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is not None:
        return number
    if not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise _unreadable()
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    if len(_COLUMNS) < _CACHE_SIZE:
        _COLUMNS[letters] = number
    return number


def _excel_date(serial: float, date1904: bool) -> str:
    if date1904:
        base = datetime(1904, 1, 1)
    else:
        base = datetime(1899, 12, 30)
        if serial < 60:  # Excel counts a 29 February 1900 that never was
            serial += 1
    moment = base + timedelta(seconds=round(serial * 86400))
    if serial < 1:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d" if moment.time() == datetime.min.time() else "%Y-%m-%d %H:%M:%S")


# CSV ---------------------------------------------------------------------------------------------


class _Lines:
    """Physical lines for csv.reader, at most ``budget`` characters per row (reset by the caller)."""

    def __init__(self, stream: io.TextIOBase, budget: int) -> None:
        self.stream = stream
        self.budget = budget
        self.used = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(self.budget - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.budget:
            raise _RowTooLong
        return line


class _RowTooLong(Exception):
    """A CSV row went past its character budget."""


def read_csv_rows(
    data: bytes, limits: Limits | None = None, encodings: tuple[str, ...] = ("utf-8-sig", "gb18030")
) -> list[list[str]]:
    """Read CSV bytes (in the first of ``encodings`` that decodes) into rows of stripped strings, within ``limits``."""
    limits = limits or Limits()
    if b"\x00" not in data:  # UTF-16 and binary files: neither UTF-8 nor GB18030 has NUL bytes in text
        for encoding in encodings:
            try:
                return _read_csv(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""), limits)
            except UnicodeDecodeError:
                continue
    raise SpreadsheetError(str(_l("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件。")))


def _read_csv(stream: io.TextIOWrapper, limits: Limits) -> list[list[str]]:
    lines = _Lines(stream, limits.max_row_chars)
    rows: list[list[str]] = []
    blank = cells = chars = 0
    number = 0
    try:
        for number, row in enumerate(csv.reader(lines), start=1):
            lines.used = 0
            cells += max(1, len(row))
            if cells > limits.max_cells:
                raise _too_many_cells(limits)
            kept = [cell.strip() for cell in row[: limits.max_columns]]
            if not any(kept):
                blank += 1
                continue
            if number > limits.max_rows:
                raise TooManyRows(limits.max_rows)
            if any(len(cell) > limits.max_cell_chars for cell in kept):
                raise _cell_too_long(number, limits)
            chars += sum(map(len, kept))
            if chars > limits.max_total_chars:
                raise _too_much_text(limits)
            rows.extend([] for _ in range(blank))
            blank = 0
            rows.append(kept)
    except _RowTooLong:
        raise SpreadsheetError(
            str(_l("CSV 文件第 %(row)d 行超过 %(n)d 个字符的上限。", row=number + 1, n=limits.max_row_chars))
        ) from None
    except csv.Error as error:
        raise SpreadsheetError(str(_l("CSV 文件格式有误：%(error)s", error=error))) from error
    return rows
