"""The staff-import columns are one declarative table (app.accounts.importer.COLUMNS) driving parsing,
checks, the import page's help table and the sample file."""

from __future__ import annotations

import pytest

from app.accounts import importer

CONTRACT = ["工号", "姓名", "部门", "岗位", "邮箱", "角色", "班组"]  # DESIGN: the columns HR builds files on


def test_the_table_keeps_the_contract_columns_in_order():
    assert [c.header for c in importer.COLUMNS][: len(CONTRACT)] == CONTRACT
    assert [c.header for c in importer.COLUMNS if c.required] == ["工号", "姓名", "部门"]


def test_every_column_is_a_staff_row_field():
    fields = importer.StaffRow.__dataclass_fields__
    assert all(c.key in fields for c in importer.COLUMNS)


def test_the_sample_file_parses_with_every_column_recognised():
    rows, ignored = importer.parse(importer.sample_csv().encode())
    assert ignored == [] and len(rows) == 1
    assert {c.key: getattr(rows[0], c.key) for c in importer.COLUMNS} == {c.key: c.sample for c in importer.COLUMNS}


@pytest.mark.parametrize("column", importer.COLUMNS, ids=lambda c: c.key)
def test_english_aliases_are_accepted_in_any_case(column):
    required = [c for c in importer.COLUMNS if c.required and c is not column]
    headers = [c.header for c in required] + [column.aliases[0].upper()]
    values = [c.sample for c in required] + [column.sample]
    rows, ignored = importer.parse(f"{','.join(headers)}\n{','.join(values)}\n".encode())
    assert ignored == [] and getattr(rows[0], column.key) == column.sample


@pytest.mark.parametrize("column", [c for c in importer.COLUMNS if c.max_length], ids=lambda c: c.key)
def test_length_limits_come_from_the_table(column):
    row = importer.StaffRow(line=2, employee_no="A1", name="甲", department="门店")
    setattr(row, column.key, "x" * (column.max_length + 1))
    importer._check_rows([row])
    assert f"{column.label}超过 {column.max_length} 个字符。" in row.problems


def test_the_import_page_and_sample_follow_the_table(client, login_as):
    login_as("hr")
    page = client.get("/hr/import").get_data(as_text=True)
    for column in importer.COLUMNS:
        assert f'<td class="text-nowrap">{column.header}</td><td>{column.help}</td>' in page
    sample = client.get("/hr/import/sample.csv")
    assert sample.get_data(as_text=True) == "\ufeff" + importer.sample_csv()
    assert sample.get_data(as_text=True).splitlines()[0] == "\ufeff" + ",".join(c.header for c in importer.COLUMNS)
