"""The batched ZeroMQ + protobuf client the page handlers use, and the generated protobuf modules."""
