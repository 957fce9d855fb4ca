"""Method implementations: one module per protobuf service, one async function per rpc.

`api.services.catalog.get_product` implements `shop.v1.Catalog/GetProduct`; the dispatcher finds
it from the service descriptors, so no list of methods is kept by hand.
"""
