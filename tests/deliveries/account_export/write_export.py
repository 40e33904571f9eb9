"""Writes the account-level export of `2024-04/` and its control totals (standard library).

The export has the shape of a city's finance-system export (see README.md): twelve long
Finnish column names, comma-separated, the organisation as code/name pairs per level,
the report line as a name, the account as `TILI/440000 Palvelujen ostot`, budget and
actual as two amount columns with spaces as thousands separators and a decimal comma,
in the ledger's own sign (income negative, expenses positive). Internal items are on
9xxx accounts, investments on 8xxx, the activation of own work on 3700.

The control totals are what the city's report prints, worked out here from the rows
with this script's own line of each account (not the warehouse's chart), in euros:
the report sign, every operating subtotal, per department and for the city.

    python3 tests/deliveries/account_export/write_export.py          # rewrites 2024-04/
    python3 tests/deliveries/account_export/write_export.py --rows N  # a larger export to stdout
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).parent
FOLDER = HERE / "2024-04"
EXPORT = "toteutuma_tileittain_2024-04.csv"

HEADER = [
    "Kunnan tunnus",
    "Kunnan nimi",
    "Toimialan tunnus",
    "Toimialan nimi",
    "Palvelualueen tunnus",
    "Palvelualueen nimi",
    "Kustannuspaikan tunnus",
    "Kustannuspaikan nimi",
    "Raportointirivi",
    "Tili",
    "Talousarvio muutosten jälkeen",
    "Toteutuma kauden loppuun",
]

CITY = ("JOENSUU", "Joensuun kaupunki")

# account, name, the report line it is printed on, item, income (+1) or expense (-1)
ACCOUNTS = [
    ("300000", "Myyntituotot", "myyntituotot", "", 1),
    ("320000", "Maksutuotot", "maksutuotot", "", 1),
    ("330000", "Tuet ja avustukset", "tuet_ja_avustukset", "", 1),
    ("370000", "Valmistus omaan käyttöön (aktivoinnit)", "valmistus_omaan_kayttoon", "", 1),
    ("400000", "Palkat ja palkkiot", "palkat_ja_palkkiot", "", -1),
    ("410000", "Eläkekulut", "elakekulut", "", -1),
    ("415000", "Muut henkilösivukulut", "muut_henkilosivukulut", "", -1),
    ("440000", "Palvelujen ostot", "palvelujen_ostot", "", -1),
    ("450000", "Aineet, tarvikkeet ja tavarat", "aineet_tarvikkeet_ja_tavarat", "", -1),
    ("490000", "Muut toimintakulut", "muut_toimintakulut", "", -1),
    ("930000", "Sisäiset myyntituotot", "myyntituotot", "internal", 1),
    ("940000", "Sisäiset palvelujen ostot", "palvelujen_ostot", "internal", -1),
    ("960000", "Sisäiset vuokrakulut", "muut_toimintakulut", "internal", -1),
    ("800000", "Investointimenot", "menot", "investment", -1),
    ("850000", "Investointien rahoitusosuudet", "tulot", "investment", 1),
]
LINE_NAMES = {
    "myyntituotot": "Myyntituotot",
    "maksutuotot": "Maksutuotot",
    "tuet_ja_avustukset": "Tuet ja avustukset",
    "valmistus_omaan_kayttoon": "Valmistus omaan käyttöön",
    "palkat_ja_palkkiot": "Palkat ja palkkiot",
    "elakekulut": "Eläkekulut",
    "muut_henkilosivukulut": "Muut henkilösivukulut",
    "palvelujen_ostot": "Palvelujen ostot",
    "aineet_tarvikkeet_ja_tavarat": "Aineet, tarvikkeet ja tavarat",
    "muut_toimintakulut": "Muut toimintakulut",
    "menot": "Investointimenot",
    "tulot": "Investointitulot",
}
# leaf -> subtotal it adds into (the JHS 192 income statement down to toimintakate)
PARENT = {
    "myyntituotot": "toimintatuotot",
    "maksutuotot": "toimintatuotot",
    "tuet_ja_avustukset": "toimintatuotot",
    "toimintatuotot": "toimintakate",
    "valmistus_omaan_kayttoon": "toimintakate",
    "palkat_ja_palkkiot": "henkilostokulut",
    "elakekulut": "henkilosivukulut",
    "muut_henkilosivukulut": "henkilosivukulut",
    "henkilosivukulut": "henkilostokulut",
    "henkilostokulut": "toimintakulut",
    "palvelujen_ostot": "toimintakulut",
    "aineet_tarvikkeet_ja_tavarat": "toimintakulut",
    "muut_toimintakulut": "toimintakulut",
    "toimintakulut": "toimintakate",
    "menot": "netto",
    "tulot": "netto",
}

# department, its name, its service areas: (code, name, cost centres: (code, name))
ORGANISATION = [
    (
        "KASVU",
        "Kasvun ja oppimisen toimiala",
        [
            (
                "VAKA",
                "Varhaiskasvatus",
                [("VAKA-110", "Päiväkoti Kanervala"), ("VAKA-120", "Päiväkoti Noljakka")],
            ),
            (
                "PERUS",
                "Perusopetus",
                [("PERUS-210", "Rantakylän koulu"), ("PERUS-220", "Pielisjoen koulu")],
            ),
        ],
    ),
    (
        "TEKPA",
        "Teknisten palvelujen toimiala",
        [
            (
                "KATU",
                "Katu- ja viheralueet",
                [("KATU-310", "Kunnossapito"), ("KATU-320", "Rakentaminen")],
            ),
            ("TILA", "Tilapalvelut", [("TILA-410", "Kiinteistönhoito")]),
        ],
    ),
]

# Accounts a cost centre books, by the first letters of its code.
BOOKS = {
    "VAKA": [
        "300000",
        "320000",
        "400000",
        "410000",
        "415000",
        "440000",
        "450000",
        "490000",
        "940000",
        "960000",
    ],
    "PERUS": [
        "300000",
        "330000",
        "400000",
        "410000",
        "415000",
        "440000",
        "450000",
        "940000",
        "960000",
    ],
    "KATU": [
        "300000",
        "370000",
        "400000",
        "410000",
        "415000",
        "440000",
        "450000",
        "930000",
        "800000",
        "850000",
    ],
    "TILA": ["300000", "930000", "400000", "410000", "440000", "450000", "490000", "800000"],
}


def _amount(seed: int, scale: int) -> Decimal:
    """A deterministic figure with cents, sized by `scale`."""
    value = (seed**3 * 7919 + 104729) % (scale * 100) + scale * 10
    return Decimal(value) / 100


def _finnish(value: Decimal) -> str:
    """-1 234 567,89 (a space between thousands, a decimal comma)."""
    sign = "-" if value < 0 else ""
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents}"


def rows(copies: int = 1):
    """(export record, line, item, department, budget and actual in the report sign)."""
    seed = 0
    for copy in range(copies):
        for department, department_name, areas in ORGANISATION:
            for area, area_name, centres in areas:
                for centre, centre_name in centres:
                    for account in BOOKS[area]:
                        seed += 1
                        (name, line, item, sign) = next(
                            (n, ln, it, s) for a, n, ln, it, s in ACCOUNTS if a == account
                        )
                        scale = 2_000_000 if line == "menot" else 400_000
                        budget = _amount(seed, scale)
                        actual = (budget * Decimal(seed % 17 + 22) / 100).quantize(Decimal("0.01"))
                        report_budget, report_actual = sign * budget, sign * actual
                        record = [
                            *CITY,
                            department,
                            department_name,
                            area,
                            area_name,
                            centre,
                            centre_name,
                            LINE_NAMES[line],
                            # copies of a large export book ten-digit sub-accounts
                            f"TILI/{account if copy == 0 else account[:4] + f'{copy:06d}'} {name}",
                            # the ledger's sign: income (credit) negative, expenses positive
                            _finnish(-report_budget),
                            _finnish(-report_actual),
                        ]
                        yield record, line, item, department, report_budget, report_actual


def control_totals() -> list[list[str]]:
    """Every operating line and subtotal, and the investments, per department and city."""
    sums: dict[tuple, Decimal] = {}
    for _, line, item, department, budget, actual in rows():
        statement = "investment" if item == "investment" else "operating"
        items = ["all"] + ([] if item == "investment" else [item or "external"])
        while line is not None:
            for unit in (department, CITY[0]):
                for what in items:
                    for measure, value in (("budget", budget), ("actual", actual)):
                        key = (statement, unit, line, measure, what)
                        sums[key] = sums.get(key, Decimal(0)) + value
            line = PARENT.get(line)
    out = []
    for (statement, unit, line, measure, what), value in sorted(sums.items()):
        if what != "all" and line not in ("toimintatuotot", "toimintakulut", "toimintakate"):
            continue  # the report splits only the totals into external and internal items
        out.append(
            [
                "2024",
                "4",
                statement,
                unit,
                line,
                measure,
                _finnish(value),
                "1",
                "" if what == "all" else what,
            ]
        )
    return out


GOALS = "tavoitteet_2024-04.xlsx"
GOAL_HEADER = [
    "Nro",
    "Taso",
    "Vastuuyksikkö",
    "Strateginen päämäärä",
    "Tavoite",
    "Mittari ja tavoitetaso",
    "Tilanne 30.4.2024",
    "Vastuuhenkilö",
    "Arvio",
]
GOAL_ROWS = [
    [
        "T1",
        "Valtuusto",
        "KASVU Kasvun ja oppimisen toimiala",
        "Hyvinvoiva ja osallistuva joensuulainen",
        "Varhaiskasvatuksen osallistumisaste nousee",
        "Osallistumisaste vähintään 80 %",
        "Osallistumisaste on 78 %; syksyn haku on käynnissä.",
        "Toimialajohtaja",
        "Toteutuu osittain",
    ],
    [
        "T2",
        "Käyttösuunnitelma",
        "PERUS Perusopetus",
        "Hyvinvoiva ja osallistuva joensuulainen",
        "Koulupoissaolot vähenevät",
        "Luvattomia poissaoloja alle 1 % tunneista",
        "Poissaoloja on 0,8 % tunneista.",
        "Perusopetusjohtaja",
        "Toteutuu",
    ],
    [
        "T3",
        "Valtuusto",
        "TEKPA Teknisten palvelujen toimiala",
        "Kestävä ja vetovoimainen kaupunki",
        "Katuvalaistus uusitaan led-valaisimiin",
        "1 200 valaisinta vuonna 2024",
        "Urakka on viivästynyt; valaisimia on vaihdettu 150.",
        "Kaupungininsinööri",
        "Ei toteudu",
    ],
]


def write_goal_sheet(path: Path) -> None:
    """The goal sheet as finance staff keep it: a title above the header, one sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tavoitteet"
    sheet.append(["Joensuun kaupunki: tavoitteiden toteutuminen 1-4/2024"])
    sheet.append([])
    sheet.append(GOAL_HEADER)
    for row in GOAL_ROWS:
        sheet.append(row)
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="write at least N rows to stdout instead")
    args = parser.parse_args()
    if args.rows:
        per_copy = sum(1 for _ in rows())
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(HEADER)
        for record, *_ in rows(-(-args.rows // per_copy)):
            writer.writerow(record)
        return
    FOLDER.mkdir(exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    for record, *_ in rows():
        writer.writerow(record)
    (FOLDER / EXPORT).write_text(text.getvalue(), encoding="utf-8")
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\n")
    writer.writerow(
        [
            "fiscal_year",
            "period",
            "statement",
            "org_code",
            "line_code",
            "measure",
            "amount",
            "unit",
            "item",
        ]
    )
    writer.writerows(control_totals())
    (FOLDER / "control_totals.csv").write_text(text.getvalue(), encoding="utf-8")
    write_goal_sheet(FOLDER / GOALS)  # needs openpyxl (pip install -e '.[dev]')


if __name__ == "__main__":
    main()
