"""Global IDs: parsing what clients send back into row ids, with errors that name the argument."""

import re
from collections.abc import Iterable

from strawberry import relay

from loaders.paging import INT_RANGE
from schema.errors import BadArgument

# The one way a row id is written: no sign, no leading zero, no `_`, no whitespace, ASCII digits only.
CANONICAL_ROW_ID = re.compile(r"0|[1-9][0-9]{0,9}")


def parse_global_id(value: str, argument: str = "id") -> relay.GlobalID:
    """A global ID exactly as the API writes it; any other spelling of the same object is refused."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        raise BadArgument(argument, "is not a valid ID.") from None
    # base64 decoding forgives missing padding and stray characters: one object would have several IDs.
    if str(global_id) != value:
        raise BadArgument(argument, "is not a valid ID.")
    return global_id


def row_ids(node_ids: Iterable[str], argument: str = "id") -> list[int]:
    ids = []
    for node_id in node_ids:
        if CANONICAL_ROW_ID.fullmatch(node_id) is None or int(node_id) not in INT_RANGE:
            raise BadArgument(argument, "is not a valid ID.")
        ids.append(int(node_id))
    return ids


def row_id_of(value: str, type_name: str, argument: str = "id") -> int:
    """The row id inside a global ID that must name a `type_name`."""
    global_id = parse_global_id(value, argument)
    if global_id.type_name != type_name:
        raise BadArgument(argument, f"must be the ID of a {type_name}, got the ID of a {global_id.type_name}.")
    return row_ids([global_id.node_id], argument)[0]
