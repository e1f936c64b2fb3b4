"""The Relay `node` root field."""

import strawberry
from strawberry import relay

from schema.classifier import Classifier
from schema.context import Info
from schema.errors import BadArgument
from schema.ids import parse_global_id
from schema.package import Package
from schema.release import Release
from schema.user import User

NODE_TYPES: dict[str, type[Package | Release | User | Classifier]] = {
    t.__name__: t for t in (Package, Release, User, Classifier)
}


async def node(info: Info, id: strawberry.ID) -> relay.Node | None:
    global_id = parse_global_id(id)
    node_type = NODE_TYPES.get(global_id.type_name)
    if node_type is None:
        raise BadArgument("id", "is not the ID of any object of this API.")
    nodes = await node_type.resolve_nodes(info=info, node_ids=[global_id.node_id])
    return nodes[0]
