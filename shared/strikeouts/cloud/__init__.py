"""The cloud path: Pub/Sub, Cloud Storage and function-entry adapters around the pipeline core.

Only modules here (and the warehouse/model-store adapters) import ``google.cloud``; the
handlers they drive are the same ones the embedded pipeline runs.
"""
