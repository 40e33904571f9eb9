"""Reading CSV extracts the way Finnish finance systems and Excel write them.

Accepted: UTF-8 with or without BOM, or Windows-1252; `;` or `,` as the
delimiter (a decimal comma inside a `,`-delimited file must be quoted);
numbers with a decimal comma or point and spaces / no-break spaces as
thousands separators. Anything that could be read two ways is refused with
an error naming the file, line and column instead of being guessed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, TextIO

# Bytes that Windows-1252 leaves undefined: a file containing them is neither
# UTF-8 nor Windows-1252.
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_THOUSANDS_SPACES = {" ", "\u00a0", "\u202f", "\u2009"}
_MINUS_SIGNS = {"-", "\u2212", "\u2013"}


# Errors listed per file before reading stops: enough to fix a file in one go.
MAX_ERRORS_PER_FILE = 50
# Why a ','-delimited row can have too many fields.
DECIMAL_COMMA_HINT = " (in a ','-delimited file a decimal comma must be quoted: \"1234,56\")"

# The largest file read as one extract. The default leaves room for a large city's
# account-level ledger (millions of rows a quarter); anything beyond is refused before it
# is read rather than filling the disk with UTF-8 copies or the memory with rows.
MAX_EXTRACT_BYTES_VARIABLE = "KUNTASEURANTA_MAX_EXTRACT_BYTES"
DEFAULT_MAX_EXTRACT_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class ExtractError:
    """One reason a file is refused; line 0 means the whole file."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line == 0 else f"{self.file}:{self.line}"
        if self.column:
            where += f" column '{self.column}'"
        return f"{where}: {self.message}"


# Lines named in a grouped error: the first few; its count says how many there are.
GROUPED_LINES_SHOWN = 5


@dataclass(frozen=True)
class ErrorGroup:
    """One problem as a person reads it: the same message for the same file and column,
    on one line or on many (a column of 18 rows with the same unsupported value is one
    problem, not 18)."""

    file: str
    column: str
    message: str
    lines: tuple[int, ...]

    def __str__(self) -> str:
        if len(self.lines) == 1:
            return str(ExtractError(self.file, self.lines[0], self.column, self.message))
        shown = ", ".join(str(line) for line in self.lines[:GROUPED_LINES_SHOWN])
        rest = len(self.lines) - GROUPED_LINES_SHOWN
        more = f" and {rest} more" if rest > 0 else ""
        where = f"{self.file} lines {shown}{more} ({len(self.lines)} rows)"
        if self.column:
            where += f" column '{self.column}'"
        return f"{where}: {self.message}"


def grouped(errors: list[ExtractError]) -> list[ErrorGroup]:
    """The errors with the same file, column and message together, in the order their
    first line was found. Whole-file errors (line 0) stay one each."""
    groups: dict[tuple, tuple[ExtractError, list[int]]] = {}
    for index, error in enumerate(errors):
        key = (error.file, error.column, error.message) if error.line else (index,)
        groups.setdefault(key, (error, []))[1].append(error.line)
    return [
        ErrorGroup(first.file, first.column, first.message, tuple(lines))
        for first, lines in groups.values()
    ]


class ExtractRefused(Exception):
    """Raised when one or more files break their contract. `errors` has one error per line;
    `problems()` words them as a person reads them, the same problem on many lines once."""

    def __init__(self, errors: list[ExtractError]):
        self.errors = errors
        self.groups = grouped(errors)
        super().__init__("\n".join(self.problems()))

    def problems(self) -> list[str]:
        return [str(group) for group in self.groups]

    def count(self) -> str:
        """'3 problem(s)', or '2 problem(s) on 19 lines' when some repeat."""
        if len(self.groups) == len(self.errors):
            return f"{len(self.groups)} problem(s)"
        return f"{len(self.groups)} problem(s) on {len(self.errors)} lines"

    def refusal(self, what: str) -> str:
        """What a person reads: what was refused, how much, and every problem."""
        return f"{what}: {self.count()}; nothing was loaded.\n" + "\n".join(
            f"  - {problem}" for problem in self.problems()
        )


@dataclass
class RawTable:
    """A decoded CSV file: header and records with their physical line numbers."""

    path: Path
    sha256: str
    encoding: str
    delimiter: str
    header: list[str]
    records: list[tuple[int, list[str]]] = field(default_factory=list)


_BOM = b"\xef\xbb\xbf"
# In text decoded with errors="surrogateescape", each byte that is not UTF-8 stands as
# U+DC80..U+DCFF; every other character above U+007F is a valid UTF-8 sequence.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_UTF8_NON_ASCII = re.compile("[\x80-\udc7f\udd00-\U0010ffff]")
_UNDEFINED_CP1252 = re.compile("[" + "".join(chr(0xDC00 + b) for b in _CP1252_UNDEFINED) + "]")


def _nul_error(name: str, line: int, col: int) -> ExtractRefused:
    return ExtractRefused(
        [
            ExtractError(
                name,
                line,
                "",
                f"NUL byte at character {col}: the file is binary or UTF-16; "
                "expected a CSV file saved as UTF-8 or Windows-1252",
            )
        ]
    )


@dataclass(frozen=True)
class _Place:
    """Where a character is: line, character within the line, and the byte it stands for."""

    line: int
    column: int
    byte: int


class EncodingSniffer:
    """Decides the encoding of a file from its bytes, fed in chunks of any size.

    The one rule for every extract, read whole or streamed: UTF-8 (with or without a
    byte-order mark) if every byte is, otherwise Windows-1252 if no byte is one that
    Windows-1252 leaves undefined and no part of the file is UTF-8 beyond ASCII. Anything
    else is refused with the line and character of the first byte in question; a NUL byte
    (a binary or UTF-16 file) is refused as soon as it is seen.
    """

    def __init__(self, name: str):
        self.name = name
        self._start = b""  # the first bytes, until it is known whether they are a BOM
        self._bom: bool | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        # Lines and columns of the text (characters) and of the bytes (for a NUL byte).
        self._lines = 0
        self._chars_in_line = 0
        self._bytes_in_line = 0
        self._first_not_utf8: _Place | None = None
        self._first_undefined: _Place | None = None
        self._utf8_non_ascii = False

    def feed(self, chunk: bytes) -> None:
        if self._bom is None:
            self._start += chunk
            if len(self._start) < len(_BOM) and _BOM.startswith(self._start):
                return  # too short to tell yet
            chunk, self._start = self._start, b""
            self._bom = chunk.startswith(_BOM)
            if self._bom:
                chunk = chunk[len(_BOM) :]
        self._feed_bytes(chunk)

    def _feed_bytes(self, chunk: bytes, final: bool = False) -> None:
        nul = chunk.find(b"\x00")
        if nul >= 0:
            newline = chunk.rfind(b"\n", 0, nul)
            lines = self._lines + chunk.count(b"\n", 0, nul)
            col = nul - newline if newline >= 0 else self._bytes_in_line + nul + 1
            if self._bom and lines == 0:
                col += len(_BOM)  # counted in bytes from the start of the file
            raise _nul_error(self.name, lines + 1, col)
        text = self._decoder.decode(chunk, final)
        if not text.isascii():
            self._classify(text)
        newline_bytes = chunk.rfind(b"\n")
        if newline_bytes >= 0:
            self._bytes_in_line = len(chunk) - newline_bytes - 1
        else:
            self._bytes_in_line += len(chunk)
        newline = text.rfind("\n")
        self._lines += text.count("\n")
        self._chars_in_line = (
            len(text) - newline - 1 if newline >= 0 else self._chars_in_line + len(text)
        )

    def _place(self, text: str, index: int) -> _Place:
        newline = text.rfind("\n", 0, index)
        line = self._lines + text.count("\n", 0, index) + 1
        col = index - newline if newline >= 0 else self._chars_in_line + index + 1
        return _Place(line, col, ord(text[index]) - 0xDC00)

    def _classify(self, text: str) -> None:
        if not self._utf8_non_ascii and _UTF8_NON_ASCII.search(text):
            self._utf8_non_ascii = True
        if self._first_not_utf8 is None:
            found = _NOT_UTF8.search(text)
            if found:
                self._first_not_utf8 = self._place(text, found.start())
        if self._first_undefined is None and self._first_not_utf8 is not None:
            found = _UNDEFINED_CP1252.search(text)
            if found:
                self._first_undefined = self._place(text, found.start())

    def finish(self) -> str:
        """The encoding of the whole file ('utf-8-sig', 'utf-8' or 'cp1252'), or raise
        ExtractRefused."""
        if self._bom is None:  # a file shorter than a BOM
            chunk, self._start, self._bom = self._start, b"", False
            self._feed_bytes(chunk)
        self._feed_bytes(b"", final=True)
        bad = self._first_not_utf8
        if bad is None:
            return "utf-8-sig" if self._bom else "utf-8"
        if self._bom:
            problem = (
                f"byte 0x{bad.byte:02X} at character {bad.column} is not UTF-8, "
                "although the file starts with a UTF-8 byte-order mark"
            )
        elif self._first_undefined is not None:
            bad = self._first_undefined
            problem = (
                f"undecodable byte 0x{bad.byte:02X} at character {bad.column}: the file is "
                "neither UTF-8 nor Windows-1252"
            )
        elif self._utf8_non_ascii:
            problem = (
                f"byte 0x{bad.byte:02X} at character {bad.column} is not UTF-8, but other "
                "parts of the file are: mixed encodings cannot be read reliably; save the "
                "file again as UTF-8"
            )
        else:
            return "cp1252"
        raise ExtractRefused([ExtractError(self.name, bad.line, "", problem)])


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding name) or raise ExtractRefused (EncodingSniffer's rule)."""
    sniffer = EncodingSniffer(name)
    sniffer.feed(data)
    encoding = sniffer.finish()
    return data.decode(encoding), encoding


def detect_delimiter(header_line: str, name: str) -> str:
    has_semicolon = ";" in header_line
    has_comma = "," in header_line
    if has_semicolon and has_comma:
        raise ExtractRefused(
            [
                ExtractError(
                    name,
                    1,
                    "",
                    "header contains both ';' and ',': cannot tell the delimiter; "
                    "expected column names separated by ';' (or by ',')",
                )
            ]
        )
    if has_semicolon:
        return ";"
    if has_comma:
        return ","
    found = "tab" if "\t" in header_line else ("'|'" if "|" in header_line else "none")
    raise ExtractRefused(
        [
            ExtractError(
                name,
                1,
                "",
                f"no delimiter found in the header (found {found}); "
                "expected column names separated by ';' or ','",
            )
        ]
    )


# --- deliveries are plain files ----------------------------------------------------------


def max_extract_bytes() -> int:
    """The size limit of one extract, from KUNTASEURANTA_MAX_EXTRACT_BYTES if set."""
    text = os.environ.get(MAX_EXTRACT_BYTES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_EXTRACT_BYTES
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ValueError(
            f"{MAX_EXTRACT_BYTES_VARIABLE} must be a whole number of bytes above 0 "
            f"(got '{text}'); the default is {DEFAULT_MAX_EXTRACT_BYTES}"
        )
    return limit


def _size_text(size: int) -> str:
    return f"{size} bytes ({size / 1024**3:.2f} GiB)" if size >= 1024**3 else f"{size} bytes"


def too_large_problem(size: int | None, limit: int) -> str:
    """The refusal of a file over the limit; size None = it grew past it while read."""
    found = f"is {_size_text(size)}" if size is not None else "grew while it was read"
    return (
        f"the file {found}, over the limit of {_size_text(limit)} for one extract; set "
        f"{MAX_EXTRACT_BYTES_VARIABLE} to a larger number of bytes if a file this large "
        "is expected"
    )


_NOT_PLAIN = "deliveries must be plain files"


def _mode_problem(status: os.stat_result) -> str | None:
    """Why a file with this status is not read as an extract, or None if it may be.

    The status is that of the directory entry itself (lstat or fstat of a descriptor
    opened without following links): what a link points to never matters."""
    mode = status.st_mode
    if stat.S_ISREG(mode):
        limit = max_extract_bytes()
        return too_large_problem(status.st_size, limit) if status.st_size > limit else None
    if stat.S_ISLNK(mode):
        return f"the file is a symbolic link; {_NOT_PLAIN}: copy the file into the folder"
    if stat.S_ISDIR(mode):
        return "this is a folder, not a file; expected a CSV file"
    if stat.S_ISFIFO(mode):
        return f"the file is a named pipe (FIFO); {_NOT_PLAIN}: copy the data into a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return f"the file is a device; {_NOT_PLAIN}: copy the data into a file"
    if stat.S_ISSOCK(mode):
        return f"the file is a socket; {_NOT_PLAIN}: copy the data into a file"
    return f"the file is not a regular file; {_NOT_PLAIN}"


def plain_file_problem(path: Path) -> str | None:
    """Why `path` is not read as an extract (not a regular file, or over the size limit),
    or None if it may be read. Looks at the entry itself and opens nothing, so a FIFO
    cannot block and a link is never followed."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"the file cannot be examined ({exc.strerror})"
    return _mode_problem(status)


def refused_file(path: Path, message: str) -> ExtractRefused:
    return ExtractRefused([ExtractError(path.name, 0, "", message)])


def open_plain(path: Path) -> BinaryIO:
    """Open an extract for reading in binary, or raise ExtractRefused naming the file.

    The entry is checked first (plain_file_problem); then it is opened with O_NOFOLLOW
    and O_NONBLOCK and the open descriptor checked again, so a file swapped for a link or
    a FIFO between the check and the open is neither followed nor waited on."""
    problem = plain_file_problem(path)
    if problem:
        raise refused_file(path, problem)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise refused_file(path, _open_problem(path, exc)) from None
    try:
        problem = _mode_problem(os.fstat(fd))
        if problem:
            raise refused_file(path, problem)
        os.set_blocking(fd, True)  # a regular file: reads as usual from here on
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_problem(path: Path, exc: OSError) -> str:
    # O_NOFOLLOW fails on a link with ELOOP; say what the entry is if it can be told.
    return plain_file_problem(path) or f"the file cannot be opened ({exc.strerror})"


def read_plain_bytes(path: Path) -> bytes:
    """The whole content of an extract; refused unless a plain file within the limit."""
    limit = max_extract_bytes()
    with open_plain(path) as f:
        data = f.read(limit + 1)  # a file growing past the limit after the check
    if len(data) > limit:
        raise refused_file(path, too_large_problem(None, limit))
    return data


EMPTY_FILE = "the file is empty; expected a header and rows"
NO_ROWS = "the file has a header but no rows; expected at least one row"


def is_empty(head: bytes) -> bool:
    """Whether a file starting with these bytes holds nothing but a BOM and blanks."""
    return not head.strip(b"\xef\xbb\xbf \t\r\n")


def records(text: TextIO, delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """The CSV records of a decoded file, header first, with the physical line each
    starts on; blank lines (Excel adds them at the end) are skipped. Quoting is strict:
    a quoted field must end with a closing quote before the next delimiter."""
    reader = csv.reader(text, delimiter=delimiter, quotechar='"', strict=True)
    line_no = 1
    first = True
    try:
        for record in reader:
            start_line = line_no
            line_no = reader.line_num + 1
            if not first and (not record or all(not c.strip() for c in record)):
                continue
            first = False
            yield start_line, record
    except csv.Error as exc:
        raise ExtractRefused(
            [
                ExtractError(
                    name,
                    line_no,
                    "",
                    f"malformed CSV quoting in the row starting here ({exc}); expected every "
                    'quoted field to end with a closing " before the next delimiter',
                )
            ]
        ) from None


def read_header(text: str, name: str) -> tuple[str, list[str]]:
    """(delimiter, column names) from the start of a decoded file (without its BOM):
    the delimiter from the first line, the names from the first CSV record, stripped."""
    first_line = text.splitlines()[0] if text else ""
    delimiter = detect_delimiter(first_line, name)
    for _, record in records(io.StringIO(text, newline=""), delimiter, name):
        return delimiter, [c.strip() for c in record]
    return delimiter, []


def width_error(
    name: str, line: int, record: list[str], width: int, delimiter: str
) -> ExtractError | None:
    """A record with another number of fields than the header, or None."""
    if len(record) == width:
        return None
    hint = DECIMAL_COMMA_HINT if len(record) > width and delimiter == "," else ""
    what = "truncated row" if len(record) < width else "too many fields"
    return ExtractError(name, line, "", f"{what}: {len(record)} fields, expected {width}{hint}")


def read_table(path: Path) -> RawTable:
    """Decode a CSV file and split it into records, keeping line numbers."""
    name = path.name
    data = read_plain_bytes(path)
    sha256 = hashlib.sha256(data).hexdigest()
    if is_empty(data):
        raise ExtractRefused([ExtractError(name, 0, "", EMPTY_FILE)])
    text, encoding = decode_bytes(data, name)
    delimiter, header = read_header(text, name)
    table = RawTable(
        path=path, sha256=sha256, encoding=encoding, delimiter=delimiter, header=header
    )
    rows = records(io.StringIO(text, newline=""), delimiter, name)
    next(rows, None)  # the header, read above
    table.records.extend(rows)
    return table


# --- values -----------------------------------------------------------------

_NUMBER_BODY = re.compile(r"^\d+([.,]\d+)?$")


def parse_decimal(raw: str) -> Decimal:
    """Parse a number as Finnish finance systems and Excel export it.

    Raises ValueError with a human-readable reason.
    """
    s = raw.strip()
    if not s:
        raise ValueError("a number is required")
    negative = False
    if s[0] in _MINUS_SIGNS or s[0] == "+":
        negative = s[0] != "+"
        s = s[1:].strip()
    elif s.endswith("-"):  # some ledgers print trailing minus: 1 234-
        negative = True
        s = s[:-1].strip()
    if not s:
        raise ValueError("a sign without digits")
    if any(ch in _THOUSANDS_SPACES for ch in s):
        groups = re.split("[ \u00a0\u202f\u2009]", s)
        integer_groups, last = groups[:-1], groups[-1]
        m = re.match(r"^(\d{3})([.,]\d+)?$", last)
        if (
            not m
            or not integer_groups
            or not re.fullmatch(r"\d{1,3}", integer_groups[0])
            or not all(re.fullmatch(r"\d{3}", g) for g in integer_groups[1:])
        ):
            raise ValueError("spaces may only separate groups of three digits (e.g. 1 234 567,89)")
        s = "".join(integer_groups) + last
    if "," in s and "." in s:
        raise ValueError(
            "both ',' and '.' in one number: cannot tell the decimal separator from the "
            "thousands separator; use spaces for thousands and one decimal separator"
        )
    if s.count(",") + s.count(".") > 1:
        raise ValueError(
            "more than one ',' or '.': thousands separators other than spaces are not "
            "accepted; write 1 234 567,89"
        )
    if not _NUMBER_BODY.match(s):
        raise ValueError("not a number")
    if s.count(",") + s.count(".") == 1:
        integer_part, decimals = re.split("[.,]", s)
        if len(decimals) == 3 and not integer_part.startswith("0") and len(integer_part) <= 3:
            raise ValueError(
                f"'{raw.strip()}' is ambiguous: the separator may be a thousands separator or "
                "a decimal separator; write thousands with spaces (1 234) and decimals with "
                "at most two digits or a leading zero"
            )
    try:
        value = Decimal(s.replace(",", "."))
    except InvalidOperation:
        raise ValueError("not a number") from None
    return -value if negative else value


def parse_integer(raw: str) -> int:
    value = parse_decimal(raw)
    if value != value.to_integral_value():
        raise ValueError("a whole number is required")
    return int(value)


_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(raw: str) -> dt.date:
    s = raw.strip()
    m = _FINNISH_DATE.match(s)
    if m:
        day, month, year = (int(g) for g in m.groups())
    else:
        m = _ISO_DATE.match(s)
        if not m:
            raise ValueError("a date like 31.3.2023 or 2023-03-31 is required")
        year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("not a calendar date") from None
