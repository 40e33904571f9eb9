"""Finnish number format of the printed report: 1 234 567, -5 903, 24,7."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"  # thousands separator: a no-break space keeps a figure on one line
WHOLE = Decimal(1)
ONE_DECIMAL = Decimal("0.1")


def round_half_away(value: Decimal, step: Decimal = WHOLE) -> Decimal:
    """Round half away from zero (ROUND_HALF_UP on Decimal), never giving -0."""
    rounded = value.quantize(step, rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else abs(rounded)


def thousands(value: Decimal) -> Decimal:
    """Euros to whole thousands of euros, as the prior-year columns are printed."""
    return round_half_away(value / 1000)


def _grouped(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


def format_integer(value: Decimal | None) -> str:
    """A whole number with no-break-space thousands separators and '-' for negatives."""
    if value is None:
        return ""
    rounded = round_half_away(value)
    sign = "-" if rounded < 0 else ""
    return sign + _grouped(str(abs(int(rounded))))


def format_euros(value: Decimal | None) -> str:
    """Euros rounded to the euro."""
    return format_integer(value)


def format_thousands(value: Decimal | None) -> str:
    """Euros shown in thousands of euros."""
    return "" if value is None else format_integer(thousands(value))


def format_decimal(value: Decimal | None, step: Decimal = ONE_DECIMAL) -> str:
    """A number with a decimal comma, e.g. 24,7 (one decimal by default)."""
    if value is None:
        return ""
    rounded = round_half_away(value, step)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    return sign + _grouped(whole) + ("," + fraction if fraction else "")


def format_percent(value: Decimal | None) -> str:
    """Realised % as printed: one decimal, no unit (the column heading carries the %)."""
    return format_decimal(value)


def format_amount(value: Decimal | None, unit: str, decimals: int) -> str:
    """Euros in the unit ('1' or '1000') and with the decimals a column is printed in:
    -84 050 091 in euros, -84 050,1 in thousands with one decimal."""
    if value is None:
        return ""
    return format_decimal(value / int(unit), Decimal(1).scaleb(-decimals))


def percentage(numerator: Decimal, denominator: Decimal, decimals: int) -> Decimal:
    """numerator / denominator x 100 rounded to `decimals`, as the marts and the printed
    reports compute it: divided in binary floating point, the product with 10^decimals
    rounded half away from zero (DuckDB's round), so that 2 030 / 4 000 gives 50,7."""
    scaled = float(numerator) / float(denominator) * 100 * 10**decimals
    step = Decimal(1).scaleb(-decimals)
    return round_half_away(Decimal(scaled)).scaleb(-decimals).quantize(step)
