"""Global IDs: parsing what clients send back into row ids, with errors that name the argument."""

from collections.abc import Iterable

from strawberry import relay

from loaders.paging import INT_RANGE
from schema.errors import BadArgument


def parse_global_id(value: str, argument: str = "id") -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        raise BadArgument(argument, "is not a valid ID.") from None


def row_ids(node_ids: Iterable[str], argument: str = "id") -> list[int]:
    try:
        ids = [int(node_id) for node_id in node_ids]
    except ValueError:
        raise BadArgument(argument, "is not a valid ID.") from None
    if any(id_ not in INT_RANGE for id_ in ids):
        raise BadArgument(argument, "is not a valid ID.")
    return ids


def row_id_of(value: str, type_name: str, argument: str = "id") -> int:
    """The row id inside a global ID that must name a `type_name`."""
    global_id = parse_global_id(value, argument)
    if global_id.type_name != type_name:
        raise BadArgument(argument, f"must be the ID of a {type_name}, got the ID of a {global_id.type_name}.")
    return row_ids([global_id.node_id], argument)[0]
