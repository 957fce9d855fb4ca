"""The protobuf contract as Python sees it: generated modules, a method table from descriptors.

Both the client and the API service take method names, request and response types and
idempotency from here, so a method is declared once: in protos/shop/v1/*.proto.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

GENERATED_DIR = Path(__file__).resolve().parent / "gen"
if not (GENERATED_DIR / "shop" / "v1").is_dir():
    raise ImportError(
        f"protobuf modules are missing from {GENERATED_DIR}: run `make protos` to generate them"
    )
# protoc writes absolute imports (`from shop.v1 import common_pb2`), so the folder it wrote
# into has to be an import root.
if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))

from shop.v1 import (  # noqa: E402
    auth_pb2,
    basket_pb2,
    catalog_pb2,
    checkout_pb2,
    common_pb2,
    envelope_pb2,
    help_pb2,
    landings_pb2,
    operations_pb2,
    options_pb2,
    orders_pb2,
    search_pb2,
    stock_alerts_pb2,
)

PACKAGE = "shop.v1"
# The wire's limit on batches in one ZeroMQ message, a frame each (docs/api.md): a worker
# refuses more; a client sends more as several messages.
MAX_BATCHES_PER_MESSAGE = 64
# The wire's limit on one frame (one batch, or one reply). A worker's socket refuses a larger
# frame unread (ZMQ_MAXMSGSIZE, which libzmq applies to each frame): it drops the connection
# that sent it, so a client never sends one (api_client/zmq_transport.py).
MAX_FRAME_BYTES = 1 << 20
# Every module whose file declares services; the method table is read from their descriptors.
SERVICE_MODULES = (
    catalog_pb2,
    search_pb2,
    landings_pb2,
    basket_pb2,
    auth_pb2,
    checkout_pb2,
    orders_pb2,
    operations_pb2,
    stock_alerts_pb2,
)

_NO_SIDE_EFFECTS = descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS


def snake_case(name: str) -> str:
    """GetProductBySlug -> get_product_by_slug; Catalog -> catalog."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Method:
    service: str  # "Catalog"
    name: str  # "GetProduct"
    full_name: str  # "shop.v1.Catalog/GetProduct", as it travels in Call.method
    request_class: type[Message]
    response_class: type[Message]
    # Declared in the .proto with `option idempotency_level = NO_SIDE_EFFECTS`: such calls
    # may be retried on another worker after a timeout.
    idempotent: bool
    # Declared with `option (cache_seconds) = N`: a worker may answer from memory for N seconds.
    cache_seconds: int
    # Declared with `option (public) = true`: offered on the JSON API's public face.
    public: bool

    @functools.cached_property
    def service_attr(self) -> str:
        return snake_case(self.service)

    @functools.cached_property
    def timing_name(self) -> str:
        """How a page's Server-Timing header names a call of this method (`api.catalog.
        GetProduct`); made once, since every page names each of its calls."""
        return f"api.{self.service_attr}.{self.name}"

    @property
    def function_name(self) -> str:
        return snake_case(self.name)

    def new_request(self, request: Message | None = None, **fields: Any) -> Message:
        if request is None:
            return self.request_class(**fields)
        if fields:
            raise TypeError(f"{self.full_name}: pass a request message or fields, not both")
        if not isinstance(request, self.request_class):
            raise TypeError(
                f"{self.full_name} takes {self.request_class.__name__}, "
                f"not {type(request).__name__}"
            )
        return request


def _method(service: ServiceDescriptor, method: MethodDescriptor) -> Method:
    return Method(
        service=service.name,
        name=method.name,
        full_name=f"{service.full_name}/{method.name}",
        request_class=GetMessageClass(method.input_type),
        response_class=GetMessageClass(method.output_type),
        idempotent=method.GetOptions().idempotency_level == _NO_SIDE_EFFECTS,
        cache_seconds=method.GetOptions().Extensions[options_pb2.cache_seconds],
        public=method.GetOptions().Extensions[options_pb2.public],
    )


def _read_services() -> dict[str, ServiceDescriptor]:
    services: dict[str, ServiceDescriptor] = {}
    for module in SERVICE_MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            services[service.name] = service
    return services


SERVICES: dict[str, ServiceDescriptor] = _read_services()
METHODS: dict[str, Method] = {
    m.full_name: m for s in SERVICES.values() for m in (_method(s, d) for d in s.methods)
}
# "catalog" -> {"GetProduct": Method, ...}: how `api.catalog.GetProduct(...)` resolves.
METHODS_BY_SERVICE_ATTR: dict[str, dict[str, Method]] = {snake_case(name): {} for name in SERVICES}
for _m in METHODS.values():
    METHODS_BY_SERVICE_ATTR[_m.service_attr][_m.name] = _m

__all__ = [
    "METHODS",
    "METHODS_BY_SERVICE_ATTR",
    "PACKAGE",
    "SERVICES",
    "Method",
    "auth_pb2",
    "basket_pb2",
    "catalog_pb2",
    "checkout_pb2",
    "common_pb2",
    "envelope_pb2",
    "help_pb2",
    "landings_pb2",
    "operations_pb2",
    "options_pb2",
    "orders_pb2",
    "search_pb2",
    "snake_case",
    "stock_alerts_pb2",
]
