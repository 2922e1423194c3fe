"""Extraction (§13): what the sandbox reads from an uploaded document.

File types are told apart by their first bytes (magic numbers), never by the name: PDF `%PDF-`,
PNG `\\x89PNG`, JPEG `\\xff\\xd8\\xff`, TIFF `II*\\0` / `MM\\0*`.

A PDF with a text layer is really read with pypdf (plain text first, the layout-preserving mode as a
fallback for the line table). The reader expects an invoice laid out as lines of text:

- a header block with labelled values, one per line; labels are case-insensitive and may end in ":":
  invoice number (`Invoice Number`, `Invoice No`, `Invoice #`, `Inv #`), invoice date (`Invoice Date`,
  `Date`), due date (`Due Date`), vendor (`Vendor`, `From`, `Supplier`, `Sold By`, `Remit To`);
  dates as `YYYY-MM-DD`, `MM/DD/YYYY` or `Month D, YYYY`;
- a line-items table: a header line naming a description column and a quantity column (`Qty` or
  `Quantity`), then one row per line ending in three numbers — quantity, unit price, amount;
  the table ends at the first line that does not fit (typically `Subtotal`);
- totals: `Subtotal`, `Tax` / `Sales Tax`, and the total (`Total Due`, `Amount Due`, `Balance Due`,
  `Grand Total`, `Invoice Total`, `Total`); amounts may carry `$` and thousands separators.

When there is no vendor label, a company vendor whose `erp_vendor_name` appears anywhere in the text is
taken. Images and PDFs without text cannot be read (no OCR): the invoice needs attention.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

FileKind = Literal["pdf", "png", "jpeg", "tiff"]

_MAGIC: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def sniff(data: bytes) -> FileKind | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


@dataclass
class ExtractedLine:
    description: str
    quantity: float
    unit_price: float
    amount: float


@dataclass
class Extracted:
    """What could be read; `problems` lists what could not (empty = a complete, consistent invoice)."""

    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    vendor_name: str | None = None
    lines: list[ExtractedLine] = field(default_factory=list)
    subtotal: float | None = None
    tax: float | None = None
    total: float | None = None
    pages: int = 1
    problems: list[str] = field(default_factory=list)


_AMOUNT = r"\$?\s*(-?[\d,]*\d(?:\.\d+)?)"
_NUMBER_RE = re.compile(r"^\s*inv(?:oice)?\.?\s*(?:number|no\.?|num\.?|#)\s*:?\s*#?\s*(\S+)", re.I)
_DATE_RE = re.compile(r"^\s*(?:invoice\s+)?date(?:\s+issued)?\s*:?\s*(.+?)\s*$", re.I)
_DUE_RE = re.compile(r"^\s*due\s+date\s*:?\s*(.+?)\s*$", re.I)
_VENDOR_RE = re.compile(r"^\s*(?:vendor|from|supplier|sold\s+by|remit\s+to)\s*:\s*(.+?)\s*$", re.I)
_SUBTOTAL_RE = re.compile(rf"^\s*sub\s*-?\s*total\s*:?\s*{_AMOUNT}\s*$", re.I)
_TAX_RE = re.compile(rf"^\s*(?:sales\s+)?tax\b[^\d$-]*{_AMOUNT}\s*$", re.I)
_TOTAL_RE = re.compile(
    rf"^\s*(?:total\s+due|amount\s+due|balance\s+due|grand\s+total|invoice\s+total|total)\s*:?\s*{_AMOUNT}\s*$", re.I
)
_TABLE_HEAD_RE = re.compile(r"(description|item).*\b(qty|quantity)\b", re.I)
_ROW_RE = re.compile(rf"^\s*(.+?)\s+(-?\d[\d,]*(?:\.\d+)?)\s+{_AMOUNT}\s+{_AMOUNT}\s*$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y")


def read(data: bytes, kind: FileKind, vendor_names: list[str]) -> Extracted:
    if kind != "pdf":
        return Extracted(problems=[f"the {kind.upper()} image has no text layer; it needs manual review"])
    if not looks_complete(data):
        return Extracted(problems=["the PDF could not be read (no end-of-file marker)"])
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        plain = "\n".join(page.extract_text() or "" for page in reader.pages)
        layout = "\n".join(page.extract_text(extraction_mode="layout") or "" for page in reader.pages)
    except Exception as exc:  # pypdf raises many types for broken files; every one means "unreadable"
        return Extracted(problems=[f"the PDF could not be read ({type(exc).__name__})"])
    if not plain.strip():
        return Extracted(pages=pages, problems=["the PDF has no text layer; it needs manual review"])
    found = parse_text(plain, vendor_names)
    if not found.lines:
        found.lines = parse_text(layout, vendor_names).lines
    found.pages = pages
    found.problems = check(found)
    return found


def looks_complete(data: bytes) -> bool:
    """A PDF ends with `%%EOF`; pypdf spends seconds on a large file that does not, so such files are not parsed."""
    return b"%%EOF" in data[-1024:]


def parse_text(text: str, vendor_names: list[str]) -> Extracted:
    out = Extracted()
    in_table = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if in_table:
            row = _ROW_RE.match(line)
            if row and not _SUBTOTAL_RE.match(line) and not _TOTAL_RE.match(line):
                out.lines.append(
                    ExtractedLine(row.group(1).strip(), _num(row.group(2)), _num(row.group(3)), _num(row.group(4)))
                )
                continue
            in_table = False
        if _TABLE_HEAD_RE.search(line) and not out.lines:
            in_table = True
        elif (m := _NUMBER_RE.match(line)) and out.invoice_number is None:
            out.invoice_number = m.group(1)
        elif (m := _DUE_RE.match(line)) and out.due_date is None:
            out.due_date = _date(m.group(1))
        elif (m := _DATE_RE.match(line)) and out.invoice_date is None:
            out.invoice_date = _date(m.group(1))
        elif (m := _VENDOR_RE.match(line)) and out.vendor_name is None:
            out.vendor_name = m.group(1)
        elif m := _SUBTOTAL_RE.match(line):
            out.subtotal = _num(m.group(1))
        elif m := _TAX_RE.match(line):
            out.tax = _num(m.group(1))
        elif m := _TOTAL_RE.match(line):
            out.total = _num(m.group(1))
    if out.vendor_name is None:
        lowered = text.lower()
        out.vendor_name = next((n for n in vendor_names if n.lower() in lowered), None)
    return out


def check(found: Extracted) -> list[str]:
    problems = []
    if not found.invoice_number:
        problems.append("no invoice number found")
    if found.invoice_date is None:
        problems.append("no invoice date found")
    if not found.vendor_name:
        problems.append("no vendor found")
    if found.total is None:
        problems.append("no total found")
    if not found.lines:
        problems.append("no line items found")
    for n, li in enumerate(found.lines, start=1):
        if not _close(li.quantity * li.unit_price, li.amount):
            problems.append(f"line {n}: quantity x unit price ({li.quantity} x {li.unit_price}) is not {li.amount}")
    lines_sum = round(sum(li.amount for li in found.lines), 2)
    if found.lines and found.subtotal is not None and not _close(lines_sum, found.subtotal):
        problems.append(f"the line amounts add up to {lines_sum:.2f}, not the subtotal {found.subtotal:.2f}")
    if found.lines and found.total is not None:
        expected = (found.subtotal if found.subtotal is not None else lines_sum) + (found.tax or 0.0)
        if not _close(expected, found.total):
            problems.append(f"lines and tax add up to {expected:.2f}, not the total {found.total:.2f}")
    return problems


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.011


def _num(raw: str) -> float:
    return float(raw.replace(",", "").replace("$", "").strip())


def _date(raw: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None
