"""Source profiles: a finance system's export read as an extract, without conversion scripts.

No finance system exports the project's contracts. A profile is a small TOML file that
says how one export maps onto one contract (docs/source_profiles.md, schema in
docs/source_profile.schema.json): which column of the export gives which field of the
contract (by name or position), how a value is cleaned on the way (a prefix stripped, a
code split from its name, a value mapped), where scenarios are (a column of values, or one
amount column per scenario), the number format, the sign convention of the export, the
organisation from the export's hierarchy columns, and the period from a column, the
delivery folder or the profile itself.

A profile applies to the files its `files` patterns match, in a delivery folder (a
profile kept beside the export, `*.toml`) or in the profile library (`profiles/`, or
KUNTASEURANTA_PROFILES). The export is converted into rows of the contract, keeping the
export's line numbers, and then goes through exactly the rules every extract goes
through; errors name the export's file, line and column and the profile key behind it.
A large account-level export is converted in one streaming pass into a contract-shaped
file that the bulk path (bulk.py) loads with DuckDB.
"""

from __future__ import annotations

import array
import csv
import fnmatch
import hashlib
import io
import re
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orchestration.ingest.contracts import CONTRACTS, Contract
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import (
    EMPTY_FILE,
    MAX_ERRORS_PER_FILE,
    EncodingSniffer,
    ExtractError,
    ExtractRefused,
    RawTable,
    detect_delimiter,
    open_plain,
    records,
)
from orchestration.warehouse.paths import profiles_dir

PROFILE_SUFFIX = ".toml"
_BUDGET_SCENARIOS = ("budget", "original_budget", "budget_changes")


# --- the schema -------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FieldSpec(_Strict):
    """Where one field of the contract comes from, and how its value is cleaned."""

    column: Annotated[
        str | int | None,
        Field(description="The export's column: its header text, or its position (1 = first)."),
    ] = None
    value: Annotated[str | int | None, Field(description="A constant, the same on every row.")] = (
        None
    )
    source: Annotated[
        Literal["folder"] | None,
        Field(
            alias="from",
            description="folder = the delivery folder's period (fiscal_year and period "
            "from its name YYYY-MM).",
        ),
    ] = None
    strip_prefix: Annotated[
        str | None, Field(description="Text removed from the start of the value: 'TILI/'.")
    ] = None
    part: Annotated[
        Literal["code", "name"] | None,
        Field(
            description="The value is a code and its name in one cell ('440000 Palvelujen "
            "ostot'): code = the first word, name = the rest."
        ),
    ] = None
    pattern: Annotated[
        str | None,
        Field(description="A regular expression with one group: the group's text is the value."),
    ] = None
    map: Annotated[
        dict[str, str] | None,
        Field(description="Values of the export and what each means in the contract."),
    ] = None
    lookup: Annotated[
        Literal["report_lines"] | None,
        Field(
            description="report_lines = the value is a report line's printed name (name_fi "
            "or one of other_names in seeds/reference/report_lines.csv), read as its code."
        ),
    ] = None

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [k for k in ("column", "value", "source") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, value or from"
                + (f" (found {', '.join(given)})" if given else "")
            )
        if self.pattern is not None:
            try:
                if re.compile(self.pattern).groups != 1:
                    raise ValueError("pattern must have exactly one group: '(...)'")
            except re.error as exc:
                raise ValueError(f"pattern is not a regular expression ({exc})") from None
        return self


class ScenarioColumn(_Strict):
    """One amount column of a wide export: the scenario whose figures it holds."""

    column: Annotated[str | int, Field(description="The amount column: header text or position.")]
    period: Annotated[
        int | None,
        Field(
            ge=1,
            le=12,
            description="The month its figures run to; default 12 for budgets, the "
            "reporting month for the actual.",
        ),
    ] = None


class Level(_Strict):
    """One level of the organisation hierarchy the export carries as columns."""

    level: Literal[
        "municipality", "joint_authority", "board", "department", "service_area", "cost_centre"
    ]
    code: FieldSpec
    name: FieldSpec | None = None


class Organisation(_Strict):
    """The units, created from the hierarchy columns, top level first: each row's units
    from the top down to the unit its figures are booked on (the last level)."""

    levels: Annotated[list[Level], Field(min_length=1)]


class Read(_Strict):
    sheet: Annotated[
        str | None, Field(description="Workbook sheet; default the only sheet with data.")
    ] = None
    header_row: Annotated[
        int, Field(ge=1, description="Line (or sheet row) of the header; rows above are titles.")
    ] = 1
    delimiter: Annotated[
        Literal[",", ";", "\t", "|"] | None,
        Field(description="CSV delimiter; default found from the header line."),
    ] = None


class Numbers(_Strict):
    decimal_separator: Literal[",", "."] = ","
    thousands_separator: Annotated[
        Literal["", " ", ".", ",", "'"],
        Field(description="Besides spaces, which are always taken as thousands separators."),
    ] = " "
    sign: Annotated[
        Literal["report", "ledger", "absolute"],
        Field(
            description="report = income positive, expenses negative (the contracts' sign); "
            "ledger = the accounting sign, debit positive and credit negative (income "
            "negative, expenses positive); absolute = every amount positive, the sign "
            "from the line's type (normal_sign of its report line)."
        ),
    ] = "report"


class Profile(_Strict):
    """A finance system's export mapped onto one extract contract."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    extract: Annotated[
        str, Field(description="The contract the export maps onto: ledger_accounts.")
    ]
    files: Annotated[
        list[str],
        Field(
            min_length=1,
            description="File name patterns (shell style, case-insensitive) of the exports "
            "this profile reads: 'toteutuma_tileittain*.csv'.",
        ),
    ]
    read: Read = Read()
    numbers: Numbers = Numbers()
    fields: dict[str, FieldSpec] = {}
    scenarios: Annotated[
        dict[str, ScenarioColumn | str] | None,
        Field(
            description="A wide export: one amount column per scenario (scenario = column, "
            "or a table with column and period). Without it, scenario and amount are fields."
        ),
    ] = None
    organisation: Organisation | None = None

    @model_validator(mode="after")
    def _against_contract(self) -> Profile:
        contract = CONTRACTS.get(self.extract)
        if contract is None:
            raise ValueError(
                f"extract '{self.extract}' is not a contract; expected one of "
                f"{', '.join(CONTRACTS)}"
            )
        names = contract.column_names
        for key in self.fields:
            if key not in names:
                raise ValueError(
                    f"fields.{key} is not a column of the {self.extract} contract; expected "
                    f"one of {', '.join(names)}"
                )
        if self.scenarios is not None:
            allowed = next(c for c in contract.columns if c.name == "scenario").allowed
            for key in self.scenarios:
                if key not in allowed:
                    raise ValueError(
                        f"scenarios.{key} is not a scenario; expected one of {', '.join(allowed)}"
                    )
            doubled = [k for k in ("scenario", "amount") if k in self.fields]
            if doubled:
                raise ValueError(
                    f"fields.{doubled[0]} and scenarios both give the {doubled[0]}; expected "
                    "one of them (scenarios for a wide export, fields for a long one)"
                )
        if self.organisation is not None:
            booked = _booking_column(contract)
            if booked in self.fields:
                raise ValueError(
                    f"fields.{booked} and organisation both give the unit; expected one of them"
                )
        given = set(self.fields) | {
            *(("scenario", "amount") if self.scenarios else ()),
            *((_booking_column(contract),) if self.organisation else ()),
        }
        missing = [
            c.name
            for c in contract.columns
            if c.required and c.name not in given and c.name not in _FROM_FOLDER
        ]
        if missing:
            raise ValueError(
                f"no mapping for the required field(s) {', '.join(missing)} of the "
                f"{self.extract} contract; expected fields.{missing[0]}"
            )
        return self


# Fields a profile may leave out: the delivery folder's period gives them.
_FROM_FOLDER = ("fiscal_year", "period")


def _booking_column(contract: Contract) -> str:
    return "cost_centre" if "cost_centre" in contract.column_names else "org_code"


def json_schema() -> dict[str, Any]:
    return Profile.model_json_schema(by_alias=True)


# --- finding and reading profiles ---------------------------------------------------------


@dataclass(frozen=True)
class LoadedProfile:
    profile: Profile
    path: Path
    sha256: str  # of the profile file: a changed profile restates what it reads

    @property
    def contract(self) -> Contract:
        return CONTRACTS[self.profile.extract]


def _profile_error(path: Path, message: str) -> ExtractRefused:
    return ExtractRefused([ExtractError(path.name, 0, "", f"profile: {message}")])


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _toml(path: Path) -> dict[str, Any]:
    try:
        with open_plain(path) as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise _profile_error(
            path, f"not valid TOML ({exc}); expected a profile as in docs/source_profiles.md"
        ) from None
    except UnicodeDecodeError:
        raise _profile_error(path, "not UTF-8 text; expected a TOML file saved as UTF-8") from None


def load_profile(path: Path) -> LoadedProfile:
    """Read and check one profile; `extends = "NAME"` starts from a library profile."""
    data = _toml(path)
    digest = hashlib.sha256(path.read_bytes())
    base_name = data.pop("extends", None)
    if base_name is not None:
        base_path = profiles_dir() / f"{base_name}{PROFILE_SUFFIX}"
        if not isinstance(base_name, str) or not base_path.is_file():
            raise _profile_error(
                path,
                f"key extends: no library profile '{base_name}'; expected one of "
                f"{', '.join(library_names()) or '(none)'} in {profiles_dir()}",
            )
        digest.update(base_path.read_bytes())
        base = _toml(base_path)
        base.pop("files", None)  # what the extending profile reads is its own choice
        data = _merge(base, data)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise ExtractRefused(
            [
                ExtractError(path.name, 0, "", f"profile key {_where(e['loc'])}: {_what(e)}")
                for e in exc.errors()
            ]
        ) from None
    return LoadedProfile(profile, path, digest.hexdigest())


def _where(loc: tuple) -> str:
    # Union branches and validators name themselves in the location: not keys of the file.
    parts = [
        str(p)
        for p in loc
        if not str(p).startswith(("function-", "union[")) and p not in ("str", "int")
    ]
    return ".".join(parts) or "(top level)"


def _what(error: dict[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "not a key of a profile here; see docs/source_profiles.md for the keys"
    if error["type"] == "missing":
        return "required"
    if "input" in error and error["type"] not in ("value_error",):
        return f"{message} (found {error['input']!r})"
    return message


def library_names() -> list[str]:
    folder = profiles_dir()
    return sorted(p.stem for p in folder.glob(f"*{PROFILE_SUFFIX}")) if folder.is_dir() else []


def resolve(name_or_path: str) -> LoadedProfile:
    """A profile given on the command line: a file, or the name of a library profile."""
    path = Path(name_or_path)
    if not path.is_file():
        path = profiles_dir() / f"{name_or_path}{PROFILE_SUFFIX}"
    if not path.is_file():
        raise ExtractRefused(
            [
                ExtractError(
                    name_or_path,
                    0,
                    "",
                    f"no such profile; expected a profile file or one of "
                    f"{', '.join(library_names()) or '(none)'} in {profiles_dir()}",
                )
            ]
        )
    return load_profile(path)


def _matches(profile: Profile, file_name: str) -> bool:
    return any(fnmatch.fnmatch(file_name.lower(), p.lower()) for p in profile.files)


def profile_for(path: Path) -> LoadedProfile | None:
    """The profile that reads `path`: one kept in its folder, else one of the library.
    Raises ExtractRefused when two profiles of the same place match the file."""
    for folder in (path.parent, profiles_dir()):
        if not folder.is_dir():
            continue
        matching = []
        for candidate in sorted(folder.glob(f"*{PROFILE_SUFFIX}")):
            loaded = load_profile(candidate)
            if _matches(loaded.profile, path.name):
                matching.append(loaded)
        if len(matching) > 1:
            shown = ", ".join(m.path.name for m in matching)
            raise ExtractRefused(
                [
                    ExtractError(
                        path.name,
                        0,
                        "",
                        f"{len(matching)} profiles in {folder} read this file ({shown}); "
                        "expected one (narrow their `files` patterns)",
                    )
                ]
            )
        if matching:
            return matching[0]
    return None


def is_profile_file(path: Path) -> bool:
    return path.suffix.lower() == PROFILE_SUFFIX


# --- reading the export -------------------------------------------------------------------


@dataclass
class _Export:
    """The export's header and a way to go through its records once."""

    path: Path
    sha256: str
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    rows: Iterator[tuple[int, list[str]]]
    physical_lines: int = 0  # a CSV file's lines, blank lines at its end not counted


def _open_export(path: Path, read: Read, kind: str) -> _Export:
    from orchestration.ingest.workbooks import is_workbook, workbook_rows

    if is_workbook(path):
        sha256, rows = workbook_rows(path, read.sheet, kind)
        numbered = [(n, cells) for n, cells in rows if n >= read.header_row and any(cells)]
        if not numbered:
            raise ExtractRefused([ExtractError(path.name, 0, "", EMPTY_FILE)])
        (line, header), rest = numbered[0], numbered[1:]
        return _Export(
            path, sha256, path.suffix.lower().lstrip("."), "", _trimmed(header), line, iter(rest)
        )
    digest = hashlib.sha256()
    sniffer = EncodingSniffer(path.name)
    newlines, tail = 0, b""
    with open_plain(path) as f:
        while chunk := f.read(8 * 1024 * 1024):
            digest.update(chunk)
            sniffer.feed(chunk)
            newlines += chunk.count(b"\n")
            tail = (tail + chunk)[-4096:]
    stripped = tail.rstrip(b"\r\n \t")
    blank_at_end = max(tail[len(stripped) :].count(b"\n") - 1, 0)
    physical_lines = newlines - blank_at_end + (0 if tail.endswith(b"\n") else 1)
    if digest.digest() == hashlib.sha256(b"").digest():
        raise ExtractRefused([ExtractError(path.name, 0, "", EMPTY_FILE)])
    encoding = sniffer.finish()
    text = io.TextIOWrapper(open_plain(path), encoding=encoding, newline="")
    lines = [text.readline() for _ in range(read.header_row)]
    header_text = lines[-1].rstrip("\r\n")
    delimiter = read.delimiter or detect_delimiter(header_text, path.name)
    text.seek(0)
    # Skipped with the records reader so that quoted line breaks above still count.
    stream = records(text, delimiter, path.name)
    for line, record in stream:
        if line >= read.header_row:
            header = [c.strip() for c in record]
            return _Export(
                path,
                digest.hexdigest(),
                encoding,
                delimiter,
                header,
                line,
                _closing(stream, text),
                physical_lines,
            )
    raise ExtractRefused([ExtractError(path.name, 0, "", EMPTY_FILE)])


def _closing(stream: Iterator, handle: io.TextIOWrapper) -> Iterator:
    try:
        yield from stream
    finally:
        handle.close()


def _trimmed(header: list[str]) -> list[str]:
    header = [c.strip() for c in header]
    while header and not header[-1]:
        header.pop()
    return header


def normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


# --- the conversion -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Getter:
    """One field's value from a record: the export column's position (or a constant)."""

    key: str  # the profile key, for messages: "fields.account"
    spec: FieldSpec
    position: int | None
    column_name: str  # the export's column, for messages ('' for a constant)


@dataclass
class Mapping:
    """What a profile makes of an export's header: each contract field's source."""

    getters: dict[str, _Getter]
    scenarios: dict[str, tuple[int, str, int | None]]  # scenario -> (position, column, period)
    levels: list[tuple[str, _Getter, _Getter | None]]  # (level, code, name)
    unmapped: list[str]
    line_names: dict[str, str] = field(default_factory=dict)  # for lookup = "report_lines"

    def source_of(self, contract_column: str) -> str:
        getter = self.getters.get(contract_column)
        if getter is not None:
            return getter.column_name
        if contract_column in ("amount", "scenario") and self.scenarios:
            return ", ".join(column for _, column, _ in self.scenarios.values())
        if self.levels and contract_column in ("cost_centre", "org_code"):
            return self.levels[-1][1].column_name
        return ""


def _locate(export: _Export, profile_path: Path, key: str, column: str | int) -> tuple[int, str]:
    header = export.header
    if isinstance(column, int):
        if not 1 <= column <= len(header):
            raise _profile_error(
                profile_path,
                f"key {key}: column {column} is beyond the export's {len(header)} columns "
                f"in {export.path.name}",
            )
        return column - 1, header[column - 1] or f"#{column}"
    found = [i for i, h in enumerate(header) if normal_name(h) == normal_name(column)]
    if not found:
        shown = ", ".join(f"'{h}'" for h in header[:12]) + (" ..." if len(header) > 12 else "")
        raise _profile_error(
            profile_path,
            f"key {key}: no column '{column}' in {export.path.name}; its columns are {shown}",
        )
    if len(found) > 1:
        raise _profile_error(
            profile_path,
            f"key {key}: {len(found)} columns of {export.path.name} are named '{column}' "
            f"(columns {', '.join(str(i + 1) for i in found)}); expected one: give its "
            "position instead",
        )
    return found[0], header[found[0]]


def _mapping(export: _Export, loaded: LoadedProfile) -> Mapping:
    profile, path = loaded.profile, loaded.path
    getters: dict[str, _Getter] = {}
    used: dict[tuple[int, str | None, str | None, str | None], str] = {}

    def getter(key: str, spec: FieldSpec) -> _Getter:
        if spec.column is None:
            return _Getter(key, spec, None, "")
        position, name = _locate(export, path, key, spec.column)
        how = (position, spec.part, spec.pattern, spec.strip_prefix, str(spec.map))
        if how in used:
            raise _profile_error(
                path,
                f"key {key}: column '{name}' is mapped twice, by {used[how]} and {key}; "
                "expected each column once (or different parts of it: part, pattern)",
            )
        used[how] = key
        return _Getter(key, spec, position, name)

    for name, spec in profile.fields.items():
        getters[name] = getter(f"fields.{name}", spec)
    scenarios = {}
    for scenario, given in (profile.scenarios or {}).items():
        column = given if isinstance(given, str) else given.column
        period = None if isinstance(given, str) else given.period
        key = f"scenarios.{scenario}"
        position, name = _locate(export, path, key, column)
        how = (position, None, None, None, str(None))
        if how in used:
            raise _profile_error(
                path,
                f"key {key}: column '{name}' is mapped twice, by {used[how]} and {key}; "
                "expected each column once",
            )
        used[how] = key
        scenarios[scenario] = (position, name, period)
    levels = []
    if profile.organisation is not None:
        for index, level in enumerate(profile.organisation.levels):
            base = f"organisation.levels.{index}"
            levels.append(
                (
                    level.level,
                    getter(f"{base}.code", level.code),
                    None if level.name is None else getter(f"{base}.name", level.name),
                )
            )
    positions = {p for p, *_ in used}
    unmapped = [h or f"#{i + 1}" for i, h in enumerate(export.header) if i not in positions]
    return Mapping(getters, scenarios, levels, unmapped)


class _RowError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


def _value(getter: _Getter, record: list[str], period: ReportingPeriod | None, name: str) -> str:
    spec = getter.spec
    if spec.source == "folder":
        if period is None:
            raise _RowError("", f"{getter.key} from = 'folder': the folder is not named YYYY-MM")
        return str(period.fiscal_year if name == "fiscal_year" else period.month)
    if getter.position is None:
        return str(spec.value)
    raw = record[getter.position] if getter.position < len(record) else ""
    text = raw.strip()
    if spec.strip_prefix and text.startswith(spec.strip_prefix):
        text = text[len(spec.strip_prefix) :].strip()
    if spec.pattern is not None and text:
        match = re.search(spec.pattern, text)
        if match is None:
            raise _RowError(
                getter.column_name,
                f"'{raw}' does not match {getter.key}.pattern '{spec.pattern}'",
            )
        text = match.group(1).strip()
    if spec.part is not None and text:
        code, _, rest = text.partition(" ")
        text = code if spec.part == "code" else rest.strip()
    if spec.map is not None and text:
        mapped = spec.map.get(text)
        if mapped is None:
            mapped = next(
                (v for k, v in spec.map.items() if normal_name(k) == normal_name(text)), None
            )
        if mapped is None:
            shown = ", ".join(f"'{k}'" for k in spec.map)
            raise _RowError(
                getter.column_name,
                f"'{raw}' is not in {getter.key}.map; expected one of {shown}",
            )
        text = mapped
    return text


_CELL_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _amount(text: str, numbers: Numbers, workbook: bool = False) -> Decimal | None:
    """A number of the export's format, or None for an empty cell; raise ValueError.
    A workbook's number cell (written out as `-1234.5`, workbooks.cell_text) is read as
    it is; its text cells follow the profile's format like a CSV file's fields."""
    value = text.strip()
    if not value:
        return None
    if workbook and _CELL_NUMBER.fullmatch(value):
        return Decimal(value)
    for space in (" ", "\u00a0", "\u202f", "\u2009"):
        value = value.replace(space, "")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value and value[-1] in "-\u2212":
        negative, value = not negative, value[:-1]
    if value and value[0] in "-\u2212\u2013":
        negative, value = not negative, value[1:]
    if numbers.thousands_separator.strip():
        value = value.replace(numbers.thousands_separator, "")
    if numbers.decimal_separator == ",":
        value = value.replace(",", ".") if "." not in value else value + "?"
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
        raise ValueError(
            f"not a number in the profile's format (decimal separator "
            f"'{numbers.decimal_separator}', thousands separator "
            f"'{numbers.thousands_separator}')"
        )
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("not a number") from None
    return -number if negative else number


def amount_text(number: Decimal) -> str:
    """As the contracts read it unambiguously: '.' decimals, never exactly three."""
    text = format(number, "f")
    if "." in text and len(text.rsplit(".", 1)[1]) == 3:
        text += "0"
    return text


@dataclass
class SignRule:
    """The report sign of an amount from the export's sign: the normal sign of the line
    each row books to (by its line code, or its account through the chart)."""

    convention: str
    line_sign: dict[str, int] = field(default_factory=dict)  # line_code -> normal_sign
    # main account -> line, from the chart (validation.main_account_lines)
    account_line: dict[int, str] = field(default_factory=dict)

    def line_of(self, row: dict[str, str]) -> str | None:
        if "account" in row:
            account = row["account"]
            return self.account_line.get(int(account[:4])) if account[:4].isdigit() else None
        return row.get("line_code")

    def apply(self, number: Decimal, row: dict[str, str]) -> Decimal:
        if self.convention == "report":
            return number
        if self.convention == "ledger":
            return -number
        line = self.line_of(row)
        sign = self.line_sign.get(line or "")
        if sign is None:
            raise _RowError("", f"cannot tell the sign: the row's line '{line}' is unknown")
        if sign == 0:
            raise _RowError(
                "",
                f"sign = 'absolute' cannot tell the sign on line '{line}' (it is income or "
                "expense by case); expected numbers.sign = 'ledger' or 'report' for this export",
            )
        return abs(number) * sign


@dataclass
class Conversion:
    """An export converted into rows of its contract (and, from its hierarchy columns, of
    the organisation)."""

    loaded: LoadedProfile
    export_path: Path
    sha256: str  # the export's and the profile's
    encoding: str
    delimiter: str
    mapping: Mapping
    table: RawTable | None  # the contract's rows, with the export's line numbers
    organisation: RawTable | None
    # A bulk extract: a contract-shaped CSV file and each record's line in the export.
    converted: Path | None = None
    record_lines: array.array | None = None
    _folder: tempfile.TemporaryDirectory | None = None

    def cleanup(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def translate(self, errors: list[ExtractError]) -> list[ExtractError]:
        """Errors found in the contract's rows, named by the export's columns."""
        translated = []
        for error in errors:
            column = error.column
            message = error.message
            if column in self.loaded.contract.column_names:
                source = self.mapping.source_of(column)
                message = f"{message} ({column}, by profile {self.loaded.path.name})"
                column = source or column
            translated.append(ExtractError(self.export_path.name, error.line, column, message))
        return translated


def extract_sha256(export_sha256: str, loaded: LoadedProfile, kind: str) -> str:
    """What the load log keeps of an extract read through a profile: the export's bytes,
    the profile's and the kind (one export gives the ledger and the organisation)."""
    return hashlib.sha256(f"{export_sha256}:{loaded.sha256}:{kind}".encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_plain(path) as f:
        while chunk := f.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def convert(
    path: Path,
    loaded: LoadedProfile,
    period: ReportingPeriod | None,
    sign_rule: SignRule,
    to_file: bool = False,
    limit: int | None = None,
    line_names: dict[str, str] | None = None,
    in_python: bool = False,
) -> Conversion:
    """Convert an export; raise ExtractRefused naming the export's lines and columns.

    `to_file` writes the contract's rows to a temporary CSV file (a bulk extract),
    otherwise they are kept as a table; `limit` stops after that many export rows. A CSV
    file to a file is converted by DuckDB (profiles_sql.py) where it can decide every
    value, else here, row by row (`in_python` asks for this)."""
    profile, contract = loaded.profile, loaded.contract
    export = _open_export(path, profile.read, contract.kind)
    mapping = _mapping(export, loaded)
    mapping.line_names = line_names or {}
    name = path.name
    header = contract.column_names
    errors: list[ExtractError] = []
    units: dict[str, tuple[int, list[str]]] = {}  # code -> (first line, organisation row)
    out_records: list[tuple[int, list[str]]] = []
    record_lines = array.array("q")
    folder = sink = writer = None
    if to_file and limit is None and export.delimiter and not in_python:
        from orchestration.ingest import profiles_sql

        folder = tempfile.TemporaryDirectory(prefix="kuntaseuranta-profile-")
        try:
            converted, lines, units_found = profiles_sql.convert_in_duckdb(
                export, mapping, profile, period, Path(folder.name), export.physical_lines
            )
        except profiles_sql.GiveWay:
            folder.cleanup()
            folder = None
            export = _open_export(path, profile.read, contract.kind)  # read it again, in Python
        else:
            return _conversion(
                loaded, path, export, mapping, None, units_found, converted, lines, folder
            )
    if to_file:
        folder = tempfile.TemporaryDirectory(prefix="kuntaseuranta-profile-")
        converted = Path(folder.name) / (path.stem + ".csv")
        sink = converted.open("w", encoding="utf-8", newline="")
        writer = csv.writer(sink, delimiter=";", lineterminator="\n")
        writer.writerow(header)
    width = len(export.header)
    booking = _booking_column(contract)
    workbook = export.delimiter == ""
    seen = 0
    try:
        for line, record in export.rows:
            if limit is not None and seen >= limit:
                break
            seen += 1
            if len(errors) >= MAX_ERRORS_PER_FILE:
                errors.append(ExtractError(name, 0, "", "too many errors; stopped reading"))
                break
            if len(record) > width and any(c.strip() for c in record[width:]):
                errors.append(
                    ExtractError(
                        name, line, "", f"too many fields: {len(record)} fields, expected {width}"
                    )
                )
                continue
            try:
                rows = _rows_of(record, mapping, profile, contract, period, sign_rule, workbook)
                if mapping.levels:
                    code = _units_of(record, mapping, period, units, line)
                    for row in rows:
                        row[booking] = code
            except _RowError as exc:
                errors.append(ExtractError(name, line, exc.column, str(exc)))
                continue
            for row in rows:
                values = [row.get(c, "") for c in header]
                if writer is not None:
                    writer.writerow(values)
                    record_lines.append(line)
                else:
                    out_records.append((line, values))
    finally:
        if sink is not None:
            sink.close()
    if errors:
        if folder is not None:
            folder.cleanup()
        raise ExtractRefused(errors)
    return _conversion(
        loaded,
        path,
        export,
        mapping,
        None if to_file else out_records,
        list(units.values()),
        converted if folder is not None else None,
        record_lines if folder is not None else None,
        folder,
    )


def _conversion(
    loaded: LoadedProfile,
    path: Path,
    export: _Export,
    mapping: Mapping,
    out_records: list[tuple[int, list[str]]] | None,
    units: list[tuple[int, list[str]]],
    converted: Path | None,
    record_lines: Any,
    folder: tempfile.TemporaryDirectory | None,
) -> Conversion:
    combined = extract_sha256(export.sha256, loaded, loaded.contract.kind)
    organisation = None
    if mapping.levels:
        organisation = RawTable(
            path=path,
            sha256=extract_sha256(export.sha256, loaded, "organisation"),
            encoding=export.encoding,
            delimiter=export.delimiter,
            header=CONTRACTS["organisation"].column_names,
            records=units,
        )
    table = None
    if out_records is not None:
        header = loaded.contract.column_names
        table = RawTable(path, combined, export.encoding, export.delimiter, header, out_records)
    return Conversion(
        loaded,
        path,
        combined,
        export.encoding,
        export.delimiter,
        mapping,
        table,
        organisation,
        converted=converted,
        record_lines=record_lines,
        _folder=folder,
    )


def _rows_of(
    record: list[str],
    mapping: Mapping,
    profile: Profile,
    contract: Contract,
    period: ReportingPeriod | None,
    sign_rule: SignRule,
    workbook: bool,
) -> list[dict[str, str]]:
    """The contract rows of one export record: one, or one per scenario column."""
    base: dict[str, str] = {}
    for name, getter in mapping.getters.items():
        base[name] = _value(getter, record, period, name)
        if getter.spec.lookup == "report_lines" and base[name]:
            code = mapping.line_names.get(normal_name(base[name]))
            if code is None:
                raise _RowError(
                    getter.column_name,
                    f"'{base[name]}' is not the name of a report line ({getter.key}.lookup = "
                    "'report_lines'); expected a line of seeds/reference/report_lines.csv "
                    "by its name_fi or other_names",
                )
            base[name] = code
    for name in _FROM_FOLDER:
        if name in contract.column_names and name not in base:
            if period is None:
                raise _RowError("", f"no fields.{name} and the folder is not named YYYY-MM")
            base[name] = str(period.fiscal_year if name == "fiscal_year" else period.month)
    if not mapping.scenarios:
        rows = [base]
    else:
        rows = []
        for scenario, (position, _, scenario_period) in mapping.scenarios.items():
            raw = record[position] if position < len(record) else ""
            if not raw.strip():
                continue  # no figure for that scenario on this row
            row = dict(base, scenario=scenario, amount=raw)
            if scenario_period is not None:
                row["period"] = str(scenario_period)
            elif scenario in _BUDGET_SCENARIOS:
                row["period"] = "12"
            rows.append(row)
    amount_column = mapping.source_of("amount")
    for row in rows:
        if "amount" not in row:
            continue
        raw = row["amount"]
        try:
            number = _amount(raw, profile.numbers, workbook)
        except ValueError as exc:
            column = amount_column
            if mapping.scenarios:
                column = mapping.scenarios[row["scenario"]][1]
            raise _RowError(column, f"{exc} (found '{raw}')") from None
        if number is None:
            continue  # an empty amount: the contract's rule refuses it
        try:
            row["amount"] = amount_text(sign_rule.apply(number, row))
        except _RowError as exc:
            raise _RowError(amount_column, str(exc)) from None
    return rows


def _units_of(
    record: list[str],
    mapping: Mapping,
    period: ReportingPeriod | None,
    units: dict[str, tuple[int, list[str]]],
    line: int,
) -> str:
    """The record's units, top level first, added to `units`; the booking unit's code."""
    parent = ""
    code = ""
    for level, code_getter, name_getter in mapping.levels:
        code = _value(code_getter, record, period, "org_code")
        name = _value(name_getter, record, period, "name_fi") if name_getter else code
        if not code:
            raise _RowError(code_getter.column_name, f"no {level} code; expected the unit's code")
        row = [code, level, parent, name or code, ""]
        known = units.get(code)
        if known is None:
            units[code] = (line, row)
        elif known[1][:3] != row[:3]:
            what = (
                f"level {known[1][1]} under '{known[1][2]}'"
                if known[1][1:3] != row[1:3]
                else "the same"
            )
            raise _RowError(
                code_getter.column_name,
                f"unit '{code}' is {level} under '{parent}' here but {what} on line "
                f"{known[0]}; expected one place for each unit code",
            )
        parent = code
    return code
