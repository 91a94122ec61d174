"""Spreadsheet bombs and malformed files in the staff import: a clear 4xx, bounded memory, nothing written.

The hostile files are made here with zipfile: a shared-strings bomb (about 400 KB inflating to
400 MB), a bomb whose ZIP headers lie about its size, billion-laughs and external entities,
truncated XML and archives, floods of rows and cells, over-long cells, and the same for CSV.
"""

from __future__ import annotations

import functools
import io
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts import importer
from app.accounts.models import User
from app.core.spreadsheets import Limits, SpreadsheetError, TooManyRows, read_csv_rows, read_xlsx_rows
from app.extensions import db

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'

# What each refusal says (the limits are the defaults of app.core.spreadsheets.Limits).
UNREADABLE = "无法读取这个 Excel 文件"
DTD = "不允许的 XML 声明（DTD 或实体）"
PART = "解压后超过 32 MB 的上限"
TOTAL = "解压后共超过 64 MB 的上限"
ROWS = "一次最多导入 10000 行"
CELLS = "表格超过 500000 个单元格的上限"
LONG_CELL = "第 2 行有单元格超过 2000 个字符的上限"
MEMBERS = "超过 1000 个部件"
CSV_ROW = "CSV 文件第 2 行超过 65536 个字符的上限"


def inline(row: int, *values: str) -> str:
    """A row of inline-string cells."""
    cells = "".join(f'<c r="{chr(65 + i)}{row}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'


HEADER = inline(1, "工号", "姓名", "部门")


def sheet(rows: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    """A worksheet part with these rows."""
    return f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def strings(*values: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    """A shared-strings part."""
    items = "".join(f"<si><t>{v}</t></si>" for v in values)
    return f'{prolog}<sst xmlns="{MAIN}">{items}</sst>'.encode()


def package(
    sheet_xml: bytes,
    strings_xml: bytes | None = None,
    *,
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A minimal XLSX file around a worksheet (and shared strings, and any extra parts)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if strings_xml is not None:
            archive.writestr("xl/sharedStrings.xml", strings_xml)
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return out.getvalue()


def _streamed_strings_bomb(megabytes: int) -> bytes:
    """A valid sheet whose second row uses shared string 0: ``megabytes`` MB of 'A's."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet(HEADER + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'))
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(f'<sst xmlns="{MAIN}"><si><t>'.encode())
            chunk = b"A" * MB
            for _ in range(megabytes):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


@functools.cache
def strings_bomb() -> bytes:
    """About 400 KB that inflates to 400 MB of shared strings (what took a worker to 5 GB)."""
    return _streamed_strings_bomb(400)


@functools.cache
def lying_bomb() -> bytes:
    """100 MB of shared strings whose local and central ZIP headers both claim 1 KB."""
    data = bytearray(_streamed_strings_bomb(100))
    name = b"xl/sharedStrings.xml"
    patched = 0
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at : at + name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = (1024).to_bytes(4, "little")
                patched += 1
            at = data.find(signature, at + 4)
    assert patched == 2
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/sharedStrings.xml").file_size == 1024
    return bytes(data)


@functools.cache
def deep_nesting() -> bytes:
    """Eight million nested elements in 24 MB (expat keeps each open one: about 1 GB if not stopped)."""
    return package(sheet(HEADER + '<row r="2"><c r="A2"><is>' + "<a>" * 8_000_000 + "</is></c></row>"))


@functools.cache
def hostile_files() -> dict[str, tuple[str, bytes, str]]:
    """Every hostile file: id -> (file name, bytes, what the refusal says)."""
    good_sheet = sheet(HEADER + inline(2, "A1", "甲", "门店"))
    truncated = package(good_sheet[: len(good_sheet) // 2])
    many_rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 10_003))
    far_row = '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    flood = '<row r="2">' + "<c/>" * 500_001 + "</row>"
    huge_tag = '<row r="2"><c r="A2" ' + " ".join(f'a{n}=""' for n in range(250_000)) + "/></row>"
    long_text = "长" * 2001
    big = b"\0" * (30 * MB)
    many_parts = {f"xl/media/image{n}.png": b"" for n in range(1001)}
    files = {
        "strings-bomb": ("bomb.xlsx", strings_bomb(), PART),
        "lying-header": ("lying.xlsx", lying_bomb(), UNREADABLE),
        "laughs-in-strings": (
            "laughs.xlsx",
            package(sheet(HEADER + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), strings("&lol9;", prolog=LAUGHS)),
            DTD,
        ),
        "laughs-in-sheet": ("laughs.xlsx", package(sheet(inline(1, "&lol9;"), prolog=LAUGHS)), DTD),
        "external-entity": ("xxe.xlsx", package(sheet(inline(1, "&e;"), prolog=XXE)), DTD),
        "undeclared-entity": ("entity.xlsx", package(sheet(inline(1, "&lol9;"))), UNREADABLE),
        "truncated-sheet": ("truncated.xlsx", truncated, UNREADABLE),
        "truncated-archive": ("cut.xlsx", package(good_sheet)[:-30], UNREADABLE),
        "not-a-zip": ("fake.xlsx", b"PK\x03\x04" + b"\x00not a zip at all" * 64, UNREADABLE),
        "bzip2-part": ("bz.xlsx", package(good_sheet, compression=zipfile.ZIP_BZIP2), UNREADABLE),
        "too-many-rows": ("rows.xlsx", package(sheet(HEADER + many_rows)), ROWS),
        "far-away-row": ("far.xlsx", package(sheet(HEADER + far_row)), ROWS),
        "cell-flood": ("flood.xlsx", package(sheet(HEADER + flood)), CELLS),
        "deep-nesting": ("deep.xlsx", deep_nesting(), UNREADABLE),
        "huge-tag": ("tag.xlsx", package(sheet(HEADER + huge_tag)), UNREADABLE),
        "long-inline-cell": ("long.xlsx", package(sheet(HEADER + inline(2, "A1", long_text, "门店"))), LONG_CELL),
        "long-shared-cell": (
            "long.xlsx",
            package(sheet(HEADER + '<row r="2"><c r="B2" t="s"><v>0</v></c></row>'), strings(long_text)),
            LONG_CELL,
        ),
        "too-many-parts": ("parts.xlsx", package(good_sheet, extra=many_parts), MEMBERS),
        "too-much-in-total": (
            "total.xlsx",
            package(good_sheet, extra={f"xl/media/{n}.bin": big for n in range(3)}),
            TOTAL,
        ),
        "csv-long-row": ("long.csv", ("工号,姓名,部门\n" + "," * 70_000 + "\n").encode(), CSV_ROW),
        "csv-too-many-rows": ("rows.csv", ("工号,姓名,部门\n" + "A1,甲,门店\n" * 10_001).encode(), ROWS),
        "csv-blank-flood": ("blank.csv", ("工号,姓名,部门\n" + "\n" * 500_000).encode(), CELLS),
        "csv-long-cell": ("long.csv", f"工号,姓名,部门\nA1,{long_text},门店\n".encode(), LONG_CELL),
    }
    return files


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def upload(client, data: bytes, name: str):
    return client.post("/hr/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


# The reader on its own ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(hostile_files()))
def test_every_hostile_file_is_refused_with_a_message_naming_the_limit(app, case):
    name, data, message = hostile_files()[case]
    with pytest.raises(importer.StaffFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        importer.read_table(data)


def test_the_bomb_is_refused_from_its_headers_and_the_lie_while_streaming():
    assert len(strings_bomb()) < 600 * 1024  # a small upload ...
    info = zipfile.ZipFile(io.BytesIO(strings_bomb())).getinfo("xl/sharedStrings.xml")
    assert info.file_size > 400 * MB  # ... that says what it expands to
    with pytest.raises(SpreadsheetError, match=PART):
        read_xlsx_rows(strings_bomb())
    with pytest.raises(SpreadsheetError, match=UNREADABLE):  # claims 1 KB, so only 1 KB is inflated
        read_xlsx_rows(lying_bomb())


@pytest.mark.parametrize(
    ("limits", "data", "message"),
    [
        (Limits(max_part_bytes=MB), package(sheet(HEADER + inline(2, "x" * (MB + 1)))), "解压后超过 1 MB 的上限"),
        (
            Limits(max_strings=3),
            package(sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), strings(*"abcd")),
            "共享字符串超过 3 个的上限",
        ),
        (Limits(max_members=4), package(sheet(HEADER)), "超过 4 个部件"),
        (Limits(max_cells=3), package(sheet(HEADER)), "表格超过 3 个单元格的上限"),
        (Limits(max_cell_chars=1), package(sheet(HEADER)), "第 1 行有单元格超过 1 个字符的上限"),
        (Limits(max_total_chars=5), package(sheet(HEADER)), "表格中的文字共超过 5 个字符的上限"),
        (
            Limits(max_total_chars=5),
            package(
                sheet('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'),
                strings("工号", "姓名部门"),
            ),
            "表格中的文字共超过 5 个字符的上限",
        ),
    ],
    ids=["part", "strings", "members", "cells", "cell-chars", "total-chars", "total-chars-in-shared-strings"],
)
def test_each_limit_can_be_set(limits, data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_xlsx_rows(data, limits)


def test_rows_past_the_limit_raise_too_many_rows_with_the_limit():
    with pytest.raises(TooManyRows) as raised:
        read_xlsx_rows(package(sheet(HEADER + inline(4, "x"))), Limits(max_rows=3))
    assert raised.value.limit == 3
    assert read_xlsx_rows(
        package(sheet(HEADER + inline(3, "x") + '<row r="9"><c r="A9" s="1"/></row>')), Limits(max_rows=3)
    ) == [["工号", "姓名", "部门"], [], ["x"]]  # empty rows after the end are fine
    with pytest.raises(TooManyRows):
        read_csv_rows(b"a\nb\nc\nd\n", Limits(max_rows=3))
    assert read_csv_rows(b"a\n\nb\n\n\n\n", Limits(max_rows=3)) == [["a"], [], ["b"]]


def test_a_valid_openpyxl_file_reads_as_before():
    book = Workbook()
    sheet_ = book.active
    sheet_.append(["工号", "姓名", "部门", "岗位", "邮箱", "入职日期", "在职", "系数"])
    sheet_.append([10086, " 王芳 ", "门店销售部", None, "wf@example.com", datetime(2024, 5, 1), True, 1.5])
    sheet_.append([])
    sheet_.append(["S1002", "李强", "呼叫中心", 12.0, None, datetime(2024, 5, 1, 9, 30), False, 2])
    sheet_["J2"] = "第十列"
    sheet_["AH2"] = "第 34 列：忽略"
    book.create_sheet("第二张").append(["别的", "表"])
    out = io.BytesIO()
    book.save(out)
    rows = importer.read_table(out.getvalue())
    assert rows == [
        ["工号", "姓名", "部门", "岗位", "邮箱", "入职日期", "在职", "系数"],
        ["10086", "王芳", "门店销售部", "", "wf@example.com", "2024-05-01", "True", "1.5", "", "第十列"],
        [],
        ["S1002", "李强", "呼叫中心", "12", "", "2024-05-01 09:30:00", "False", "2"],
    ]


def test_valid_xlsx_still_imports_with_numbers_as_employee_numbers(app):
    book = Workbook()
    book.active.append(["工号", "姓名", "部门"])
    book.active.append([10086, "甲", "门店销售部"])
    book.active.append([20017.0, "乙", "呼叫中心"])
    out = io.BytesIO()
    book.save(out)
    rows, ignored = importer.parse(out.getvalue())
    assert [(r.employee_no, r.name, r.department) for r in rows] == [
        ("10086", "甲", "门店销售部"),
        ("20017", "乙", "呼叫中心"),
    ]
    assert ignored == []


def test_csv_limits_and_encodings():
    assert read_csv_rows("工号,姓名\nA1,张三\n".encode("gbk")) == [["工号", "姓名"], ["A1", "张三"]]
    assert read_csv_rows('a,"b\nc"\n'.encode("utf-8-sig")) == [["a", "b\nc"]]
    with pytest.raises(SpreadsheetError, match="CSV 文件第 1 行超过 10 个字符的上限"):
        read_csv_rows(('"' + "x\n" * 20 + '"\n').encode(), Limits(max_row_chars=10))  # quoted line breaks count
    with pytest.raises(SpreadsheetError, match="无法识别文件编码"):
        read_csv_rows("工号\n".encode("utf-16"))
    with pytest.raises(SpreadsheetError, match="表格中的文字共超过 5 个字符的上限"):
        read_csv_rows("工号,姓名,部门\n".encode(), Limits(max_total_chars=5))


# Memory ----------------------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app.core.spreadsheets import SpreadsheetError, read_xlsx_rows

    for path in sys.argv[1:]:
        try:
            rows = read_xlsx_rows(Path(path).read_bytes())
        except SpreadsheetError as error:
            print(Path(path).name, "refused:", error)
        else:
            print(Path(path).name, "read", len(rows), "rows")
    """
)
# Runs the parse in a child of its own, so RUSAGE_CHILDREN sees that child and nothing else of the suite.
WRAPPER = textwrap.dedent(
    """
    import resource, subprocess, sys
    done = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True, text=True)
    print(done.stdout, done.stderr, sep="")
    print("returncode", done.returncode)
    print("maxrss_kb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """
)


def full_but_allowed() -> bytes:
    """10,001 rows x 30 columns of distinct shared strings: the most a staff file may hold, near every cap."""
    values = [f"第{n:06d}格" + "内容" * 8 for n in range(10_001 * 30)]
    rows = "".join(
        f'<row r="{r + 1}">'
        + "".join(
            f'<c r="{chr(65 + c) if c < 26 else "A" + chr(39 + c)}{r + 1}" t="s"><v>{r * 30 + c}</v></c>'
            for c in range(30)
        )
        + "</row>"
        for r in range(10_001)
    )
    return package(sheet(rows), strings(*values))


def wide_text() -> bytes:
    """Long cells whose one emoji makes Python store each at 4 bytes a character, up to the byte caps."""
    cell = "x" * 1998 + "😀"
    rows = "".join(
        f'<row r="{r}">'
        + f'<c t="inlineStr"><is><t>{cell}</t></is></c>' * 15
        + "".join(f'<c t="s"><v>{r * 15 + c}</v></c>' for c in range(15))
        + "</row>"
        for r in range(1, 901)
    )
    return package(sheet(rows), strings(*(cell[:-1] + chr(0x1F600 + n % 50) for n in range(900 * 15 + 15))))


def test_parsing_the_bombs_stays_far_below_a_few_hundred_megabytes(tmp_path):
    files = {
        "strings-bomb.xlsx": strings_bomb(),
        "lying-header.xlsx": lying_bomb(),
        "cell-flood.xlsx": hostile_files()["cell-flood"][1],
        "deep-nesting.xlsx": deep_nesting(),
        "huge-tag.xlsx": hostile_files()["huge-tag"][1],
        "wide-text.xlsx": wide_text(),
        "full.xlsx": full_but_allowed(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, CHILD, *(str(tmp_path / name) for name in files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = done.stdout
    assert "returncode 0" in out, out
    assert f"strings-bomb.xlsx refused: Excel 文件中的部件「xl/sharedStrings.xml」{PART}" in out
    assert "lying-header.xlsx refused: " + UNREADABLE in out
    assert "cell-flood.xlsx refused: " + CELLS in out
    assert "deep-nesting.xlsx refused: " + UNREADABLE in out
    assert "huge-tag.xlsx refused: " + UNREADABLE in out
    assert "wide-text.xlsx refused: 表格中的文字共超过 10000000 个字符的上限" in out
    assert "full.xlsx read 10001 rows" in out
    peak_mb = int(out.rsplit("maxrss_kb", 1)[1]) / 1024
    assert peak_mb < 300, out


# Through the web ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(hostile_files()))
def test_hostile_uploads_get_a_4xx_with_the_message_and_write_nothing(client, login_as, case):
    name, data, message = hostile_files()[case]
    login_as("hr")
    before = user_count()
    response = upload(client, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:500]
    assert message in page
    assert "导入预览" not in page
    assert user_count() == before
    with client.session_transaction() as session:
        assert "staff_import" not in session  # nothing kept for a confirmation either


def test_the_refusal_is_translated(client, login_as):
    login_as("hr")
    client.post("/locale", data={"locale": "en", "next": "/hr/import"})
    page = upload(client, strings_bomb(), "bomb.xlsx").get_data(as_text=True)
    assert "larger than 32 MB when unpacked" in page
    page = upload(client, hostile_files()["laughs-in-sheet"][1], "laughs.xlsx").get_data(as_text=True)
    assert "DTD" in page and "entities" in page


def test_a_valid_xlsx_upload_still_previews(client, login_as):
    book = Workbook()
    book.active.append(["工号", "姓名", "部门"])
    book.active.append([10086, "甲", "门店销售部"])
    out = io.BytesIO()
    book.save(out)
    login_as("hr")
    response = upload(client, out.getvalue(), "staff.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "导入预览" in page and "10086" in page and "新建 1" in page


def test_an_upload_over_the_size_limit_gets_a_friendly_413(app, client, login_as, monkeypatch):
    login_as("hr")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", MB)
    before = user_count()
    response = upload(client, b"x" * (MB + 1), "staff.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "文件太大" in page and "1 MB" in page
    assert user_count() == before
