"""Deliveries for tests: later quarters and restatements built from the embedded data."""

from __future__ import annotations

import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR


def deliver(inbox: Path, period: str, source: Path = DEFAULT_DELIVERY_DIR) -> Path:
    """Copy a delivery into the inbox as `period`, rewriting its reporting period."""
    target = inbox / period
    target.mkdir(parents=True)
    year, month = period.split("-")
    for path in source.iterdir():
        data = path.read_bytes()
        if period != "2023-03":
            # Same figures, later quarter: the year-to-date rows move to the new month.
            data = data.replace(b"2023;3;", f"{year};{int(month)};".encode())
            data = data.replace(b"2022;3;", f"{int(year) - 1};{int(month)};".encode())
        (target / path.name).write_bytes(data)
    return target


def age(folder: Path, seconds: float = 120) -> None:
    past = time.time() - seconds
    for path in folder.iterdir():
        os.utime(path, (past, past))


def restate_control_totals(
    folder: Path, org: str, line: str, delta: Decimal, department: str = "HYTO"
) -> None:
    """Move the printed actual of a leaf, its subtotals and the department by `delta`,
    with remaining and realised % as the report would print them."""
    from orchestration.ingest.validation import load_report_lines

    parents = {
        r["line_code"]: r["parent_code"]
        for r in load_report_lines().rows
        if r["statement"] == "operating"
    }
    affected, node = set(), line
    while node:
        affected.add(node)
        node = parents[node]
    binding = {"toimintakulut": "menot", "toimintakate": "netto"}
    path = folder / "control_totals.csv"
    rows = [r.split(";") for r in path.read_text(encoding="utf-8").splitlines()]
    figures = {(r[2], r[3], r[4], r[5]): r for r in rows[1:]}
    for (statement, unit_code, line_code, measure), row in figures.items():
        same = {v: k for k, v in binding.items()}.get(line_code, line_code)
        if statement == "investment" or measure != "actual":
            continue
        if unit_code not in (org, department) or same not in affected:
            continue
        if statement == "budget_binding" and line_code not in binding.values():
            continue
        actual = Decimal(row[6].replace(",", ".")) + delta
        row[6] = str(actual)
        budget = Decimal(figures[(statement, unit_code, line_code, "budget")][6])
        figures[(statement, unit_code, line_code, "remaining")][6] = str(budget - actual)
        pct = 0 if budget == 0 else round(float(actual) / float(budget) * 100, 1)
        figures[(statement, unit_code, line_code, "realised_pct")][6] = f"{pct:.2f}".replace(
            ".", ","
        )
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")


def restate_leaf(
    folder: Path, org: str, line: str, old: str, new: str, department: str = "HYTO"
) -> None:
    """Correct one booked Q1 actual and the printed figures that depend on it."""
    ledger = folder / "ledger.csv"
    before = f"2023;3;{org};{line};actual;{old};1".encode()
    data = ledger.read_bytes()
    assert before in data
    ledger.write_bytes(data.replace(before, f"2023;3;{org};{line};actual;{new};1".encode()))
    restate_control_totals(folder, org, line, Decimal(new) - Decimal(old), department)


def by_account(source: Path, target: Path, cost_centres_per_area: int = 2) -> Path:
    """The same delivery with its operating ledger at the finance system's grain.

    Every service area gets cost centres, and every ledger figure is split over them and
    over two accounts of its line's range of the chart of accounts (a main account and a
    sub-account), in the figure's own unit, so the parts add up exactly to the figure.
    The printed figures (control totals) stay as they are: the warehouse must reproduce
    them from the accounts.
    """
    from orchestration.ingest.reading import parse_decimal
    from orchestration.ingest.validation import load_account_ranges, load_report_lines

    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.name not in ("ledger.csv", "organisation.csv"):
            (target / path.name).write_bytes(path.read_bytes())
    report_lines = load_report_lines()
    municipality = next(
        r.split(";")[0]
        for r in (source / "organisation.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
        if r.split(";")[2] == ""
    )
    # The external operating accounts: not the internal items', nor the investment accounts.
    ranges = [
        r
        for r in load_account_ranges(report_lines).rows
        if r["item"] is None and r["ledger"] in (None, "operating")
    ]
    own = [r for r in ranges if r["municipality_code"] == municipality]
    shipped = [r for r in ranges if r["municipality_code"] is None]

    def own_covers(account: int) -> bool:
        return any(r["account_from"] <= account <= r["account_to"] for r in own)

    first_account: dict[str, int] = {}
    for row in own + shipped:  # the municipality's own ranges take precedence
        free = [
            a
            for a in range(row["account_from"], row["account_to"] + 1)
            if row in own or not own_covers(a)
        ]
        if free:
            first_account.setdefault(row["line_code"], free[0])
    # A line booked above the chart's lines (Henkilöstökulut) books on its first line below.
    parent_of = {
        r["line_code"]: r["parent_code"] for r in report_lines.rows if r["statement"] == "operating"
    }
    for line in sorted(first_account, key=lambda code: first_account[code]):
        above = parent_of.get(line)
        while above is not None:
            first_account.setdefault(above, first_account[line])
            above = parent_of.get(above)
    organisation = (source / "organisation.csv").read_text(encoding="utf-8-sig").splitlines()
    areas = [r.split(";")[0] for r in organisation[1:] if r.split(";")[1] == "service_area"]
    centres = {a: [f"{a}-KP{i + 1}" for i in range(cost_centres_per_area)] for a in areas}
    organisation += [
        f"{centre};cost_centre;{area};Kustannuspaikka {centre};"
        for area in areas
        for centre in centres[area]
    ]
    (target / "organisation.csv").write_text("\n".join(organisation) + "\n", encoding="utf-8")
    ledger = (source / "ledger.csv").read_text(encoding="utf-8-sig").splitlines()
    out = ["fiscal_year;period;cost_centre;account;scenario;amount;unit"]
    for record in ledger[1:]:
        year, period, org, line, scenario, amount, unit = record.split(";")
        figure = parse_decimal(amount)
        main = first_account[line]
        accounts = [str(main), f"{main + 1}10"]  # a main account and a sub-account
        parts = _split(figure, len(centres[org]) * len(accounts))
        slots = [(c, a) for c in centres[org] for a in accounts]
        for (centre, account), part in zip(slots, parts, strict=True):
            amount_text = str(part).replace(".", ",")
            out.append(f"{year};{period};{centre};{account};{scenario};{amount_text};{unit}")
    (target / "ledger_accounts.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
    return target


def _split(figure: Decimal, parts: int) -> list[Decimal]:
    """Uneven whole-unit parts adding up exactly to the figure (the last takes the rest)."""
    shares = [Decimal(i + 1) for i in range(parts)]
    total = sum(shares)
    pieces = [(figure * s / total).quantize(Decimal(1)) for s in shares[:-1]]
    return [*pieces, figure - sum(pieces)]


# The embedded welfare division as another department of Heinola: the same figures under
# other codes and names (a technical division delivering its own interim report).
TECHNICAL_CODES = {
    "HYLA": "TELA",
    "HYTO": "TETO",
    "HYTE": "KATU",
    "OPKOU": "TILA",
    "VAKA": "YMPA",
    "VIRE": "RAKV",
}
TECHNICAL_NAMES = {
    "Hyvinvointilautakunnan toimiala": "Teknisen lautakunnan toimiala",
    "Hyvinvointitoimiala": "Tekninen toimiala",  # the cover's name (narratives: cover_name)
    "Hyvinvointilautakunta": "Tekninen lautakunta",
    "Hyvinvoinnin ja terveyden edistäminen": "Kadut ja viheralueet",
    "Opetus ja koulutus": "Tilapalvelut",
    "Varhaiskasvatus": "Ympäristöpalvelut",
    "Virikkeellinen elämä": "Rakennusvalvonta",
}
OTHER_CITY_CODES = {"HEINOLA": "MUUKUNTA"}
OTHER_CITY_NAMES = {"Heinolan kaupunki": "Muun kunnan kaupunki"}


def recode(
    source: Path,
    target: Path,
    codes: dict[str, str],
    names: dict[str, str] | None = None,
    period: str | None = None,
) -> Path:
    """A copy of a delivery with organisation codes (whole fields and '|'-separated goal
    units) and names replaced, optionally moved to another period like `deliver`."""
    import re

    target.mkdir(parents=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, codes)) + r")(?![\w-])")
    for path in source.iterdir():
        text = path.read_text(encoding="utf-8-sig")
        if codes:
            text = pattern.sub(lambda m: codes[m.group(1)], text)
        for old, new in sorted((names or {}).items(), key=lambda kv: -len(kv[0])):
            text = text.replace(old, new)
        (target / path.name).write_text(text, encoding="utf-8")
    if period is not None and period != "2023-03":
        moved = deliver(target.parent / ".moved", period, target)
        shutil.rmtree(target)
        shutil.move(moved, target)
        shutil.rmtree(target.parent / ".moved")
    return target


def move_to_period(folder: Path, period: str) -> Path:
    """Rewrite a 2023-03 delivery in place for another period (any year and month end):
    the year-to-date rows move to the new month, the years with it (the budget and the
    prior year's whole year stay at month 12), dates of the year move too."""
    import re

    year, month = (int(x) for x in period.split("-"))
    shift = year - 2023
    moves = {
        ("2023", "3"): (year, month),
        ("2022", "3"): (year - 1, month),
        ("2023", "12"): (year, 12),
        ("2022", "12"): (year - 1, 12),
    }
    row_start = re.compile(r"^(2022|2023);(3|12);", re.MULTILINE)
    dates = re.compile(r"\b(\d{1,2}\.\d{1,2}\.)(2022|2023)\b")
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        text = row_start.sub(lambda m: "{};{};".format(*moves[(m.group(1), m.group(2))]), text)
        text = dates.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + shift}", text)
        path.write_text(text, encoding="utf-8")
    target = folder.parent / period
    folder.rename(target)
    return target


# Deliveries written from public report formats (tests/deliveries/README.md): a city's
# income statement, a department's budget changes and forecasts, a board's TULOT / MENOT,
# a department split into external and internal items.
FORMATS_DIR = Path(__file__).parent / "deliveries"
FORMATS = {
    "city": FORMATS_DIR / "city_income_statement" / "2024-04",
    "budget_changes": FORMATS_DIR / "department_budget_changes" / "2024-06",
    "board": FORMATS_DIR / "board_income_expenses" / "2024-05",
    "external_internal": FORMATS_DIR / "external_internal" / "2024-08",
}

# Finance-system exports read through source profiles (profiles/, tests/deliveries/README.md):
# a city's account-level export with its goal sheet in Excel.
EXPORTS = {
    "account_export": FORMATS_DIR / "account_export" / "2024-04",
}
