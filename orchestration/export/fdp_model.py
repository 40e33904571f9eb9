"""What makes a Fiscal Data Package valid: the Data Package, its Table Schemas and its data
as the frictionless validator checks them, and the `model` that maps the CSV columns onto
measures and dimensions as Fiscal Data Package 0.3 specifies it (frictionless checks only
the Data Package; the model is checked here, against the specification's structure and
against the resources' fields).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# Fiscal Data Package 0.3, "Model and Mapping": the values its keys allow.
DIMENSION_TYPES = ("datetime", "entity", "classification", "activity", "fact", "location", "other")
CLASSIFICATION_TYPES = ("functional", "administrative", "economic")
BUDGET_PHASES = ("proposed", "approved", "adjusted", "executed")
DIRECTIONS = ("expenditure", "revenue")
_CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217
_KEY = re.compile(r"^\w+")  # the spec's pattern for measure, dimension and attribute names
AMOUNT_TYPES = ("number", "integer")


def _fields(descriptor: dict[str, Any]) -> tuple[str | None, dict[str, dict[str, str]]]:
    """The first resource's name (the model's default resource) and each resource's
    fields with their types."""
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return None, {}
    fields: dict[str, dict[str, str]] = {}
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            continue
        schema = resource.get("schema")
        listed = schema.get("fields", []) if isinstance(schema, dict) else []
        fields[resource["name"]] = {
            f["name"]: f.get("type", "string")
            for f in listed
            if isinstance(f, dict) and isinstance(f.get("name"), str)
        }
    first = resources[0].get("name") if resources and isinstance(resources[0], dict) else None
    return first, fields


def _source_problem(
    where: str, item: dict[str, Any], default: str | None, fields: dict[str, dict[str, str]]
) -> tuple[str | None, str | None]:
    """(problem, the source field's type) of an item naming `source` in `resource`."""
    resource = item.get("resource", default)
    if resource not in fields:
        return f"{where}: resource {resource!r} is not a resource of the package", None
    source = item.get("source")
    if not isinstance(source, str) or not source:
        return f"{where}: 'source' must name a field", None
    if source not in fields[resource]:
        return f"{where}: source {source!r} is not a field of resource {resource!r}", None
    return None, fields[resource][source]


def model_problems(descriptor: dict[str, Any]) -> list[str]:
    """Everything in the descriptor's `model` that Fiscal Data Package 0.3 does not allow,
    or that names no real field; [] when the model is valid."""
    model = descriptor.get("model")
    if not isinstance(model, dict):
        return ["the descriptor has no 'model' object (measures and dimensions)"]
    default, fields = _fields(descriptor)
    problems: list[str] = []
    measures = model.get("measures")
    if not isinstance(measures, dict) or not measures:
        problems.append("model.measures must be an object with at least one measure")
        measures = {}
    for name, measure in measures.items():
        where = f"model.measures.{name}"
        if not _KEY.match(name):
            problems.append(f"{where}: the name is not a word")
        if not isinstance(measure, dict):
            problems.append(f"{where}: must be an object")
            continue
        problem, field_type = _source_problem(where, measure, default, fields)
        if problem:
            problems.append(problem)
        elif field_type not in AMOUNT_TYPES:
            problems.append(
                f"{where}: source field {measure['source']!r} is {field_type}, not a number"
            )
        if not isinstance(measure.get("currency"), str) or not _CURRENCY.match(measure["currency"]):
            problems.append(f"{where}: 'currency' must be an ISO 4217 code such as EUR")
        if "factor" in measure and not isinstance(measure["factor"], int | float):
            problems.append(f"{where}: 'factor' must be a number")
        if "direction" in measure and measure["direction"] not in DIRECTIONS:
            problems.append(f"{where}: 'direction' must be one of {', '.join(DIRECTIONS)}")
        if "phase" in measure and measure["phase"] not in BUDGET_PHASES:
            problems.append(f"{where}: 'phase' must be one of {', '.join(BUDGET_PHASES)}")
    dimensions = model.get("dimensions")
    if not isinstance(dimensions, dict) or not dimensions:
        problems.append("model.dimensions must be an object with at least one dimension")
        dimensions = {}
    for name, dimension in dimensions.items():
        problems += _dimension_problems(f"model.dimensions.{name}", dimension, default, fields)
    return problems


def _dimension_problems(
    where: str, dimension: Any, default: str | None, fields: dict[str, dict[str, str]]
) -> list[str]:
    if not isinstance(dimension, dict):
        return [f"{where}: must be an object"]
    problems = []
    attributes = dimension.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        problems.append(f"{where}: 'attributes' must be an object with at least one attribute")
        attributes = {}
    for key, attribute in attributes.items():
        at = f"{where}.attributes.{key}"
        if not _KEY.match(key):
            problems.append(f"{at}: the name is not a word")
        if not isinstance(attribute, dict):
            problems.append(f"{at}: must be an object")
            continue
        if ("source" in attribute) == ("constant" in attribute):
            problems.append(f"{at}: needs either 'source' or 'constant'")
        elif "source" in attribute:
            problem, _ = _source_problem(at, attribute, default, fields)
            if problem:
                problems.append(problem)
        for link in ("parent", "labelfor"):
            if link in attribute and attribute[link] not in attributes:
                problems.append(
                    f"{at}: {link} {attribute[link]!r} is not an attribute of the dimension"
                )
    key = dimension.get("primaryKey")
    keys = [key] if isinstance(key, str) else key
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        problems.append(f"{where}: 'primaryKey' must name one attribute or a list of them")
    else:
        problems += [
            f"{where}: primaryKey {k!r} is not an attribute of the dimension"
            for k in keys
            if k not in attributes
        ]
    kind = dimension.get("dimensionType")
    if kind is not None and kind not in DIMENSION_TYPES:
        problems.append(f"{where}: 'dimensionType' must be one of {', '.join(DIMENSION_TYPES)}")
    classification = dimension.get("classificationType")
    if classification is not None and classification not in CLASSIFICATION_TYPES:
        problems.append(
            f"{where}: 'classificationType' must be one of {', '.join(CLASSIFICATION_TYPES)}"
        )
    if kind == "classification" and "code" not in attributes:
        problems.append(f"{where}: a classification dimension must have a 'code' attribute")
    return problems


def _located(task: Any, error: Any) -> str:
    """'data/budget_lines.csv row 3 field actual: type-error: ...'"""
    parts = [str(getattr(task, "place", "") or getattr(task, "name", "") or "package")]
    row = getattr(error, "row_number", None)
    if row is not None:
        parts.append(f"row {row}")
    field = getattr(error, "field_name", None)
    if field:
        parts.append(f"field {field}")
    return f"{' '.join(parts)}: {error.type}: {error.note}"


def validate_package(descriptor_path: Path) -> list[str]:
    """Validate a package on disk: frictionless (the Data Package, each resource's Table
    Schema, every row of data, primary and foreign keys, bytes and hashes) and the Fiscal
    Data Package model. The problems, one line each; [] when it is valid."""
    import frictionless

    report = frictionless.validate(str(descriptor_path))
    problems = [f"package: {error.type}: {error.note}" for error in report.errors]
    for task in report.tasks:
        problems += [_located(task, error) for error in task.errors]
    try:
        descriptor = json.loads(Path(descriptor_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [*problems, f"datapackage.json cannot be read: {exc}"]
    if not report.valid and not problems:
        problems.append("frictionless reports the package invalid")
    return problems + model_problems(descriptor)


def validator_version() -> str:
    from importlib.metadata import version

    return f"frictionless {version('frictionless')}"
