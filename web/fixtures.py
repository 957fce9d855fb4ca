"""Template fixtures: named page contexts stored as JSON beside their template, so a template can
be previewed and tested with no API running.

`templates/product/detail.html` keeps its fixtures in `templates/product/detail.fixtures/*.json`.
A file is the context the template receives, one key per variable; a protobuf message is written
as {"@type": "shop.v1.Product", "value": <its protobuf JSON mapping>}, a list of them as a list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pool, json_format
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

import contract  # noqa: F401 - registers the shop.v1 messages in the default pool
from web.templating import TEMPLATES_DIR

FIXTURES_SUFFIX = ".fixtures"
TYPE_KEY = "@type"


class FixtureError(ValueError):
    """A fixture cannot be read or named; the message says which and why."""


def fixture_dir(template: str, templates_dir: Path = TEMPLATES_DIR) -> Path:
    """`product/detail.html` -> `<templates>/product/detail.fixtures`."""
    return templates_dir / Path(template).with_suffix(FIXTURES_SUFFIX)


def fixture_names(template: str, templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    folder = fixture_dir(template, templates_dir)
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def check_name(name: str) -> str:
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise FixtureError(f"fixture name {name!r}: use letters, digits, - and _")
    return name


def load_fixture(template: str, name: str, templates_dir: Path = TEMPLATES_DIR) -> dict[str, Any]:
    """The context stored as fixture `name` of `template`, with protobuf messages rebuilt."""
    path = fixture_dir(template, templates_dir) / f"{check_name(name)}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FixtureError(f"{template} has no fixture {name!r} ({path})") from None
    except json.JSONDecodeError as error:
        raise FixtureError(f"{path}: not JSON: {error}") from None
    if not isinstance(stored, dict):
        raise FixtureError(f"{path}: a fixture is a JSON object, one key per variable")
    try:
        return {key: decode(value) for key, value in stored.items()}
    except (KeyError, json_format.ParseError) as error:
        raise FixtureError(f"{path}: {error}") from None


def save_fixture(
    template: str, name: str, context: Mapping[str, Any], templates_dir: Path = TEMPLATES_DIR
) -> Path:
    """Write an encoded context (see `encode_context`) as fixture `name` of `template`."""
    folder = fixture_dir(template, templates_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{check_name(name)}.json"
    path.write_text(json.dumps(context, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def encode_context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {key: encode(value) for key, value in context.items()}


def encode(value: Any) -> Any:
    """A context value as JSON: messages typed, lists and dicts element by element."""
    if isinstance(value, Message):
        return {
            TYPE_KEY: value.DESCRIPTOR.full_name,
            "value": json_format.MessageToDict(value, preserving_proto_field_name=True),
        }
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Sequence):  # lists, tuples, protobuf repeated fields
        return [encode(item) for item in value]
    raise FixtureError(f"cannot store a {type(value).__name__} in a fixture")


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if TYPE_KEY in value:
            return json_format.ParseDict(value.get("value", {}), message_class(value[TYPE_KEY])())
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def message_class(full_name: str) -> type[Message]:
    """The generated class of a message named like `shop.v1.Product`."""
    descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    return GetMessageClass(descriptor)
