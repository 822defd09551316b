"""The local development stack: emulators, the stack's processes and record, push, packaging.

Invariant: nothing here runs in the cloud. Every server binds 127.0.0.1, runs in its own
process group and is stopped by that group's id; the functions run exactly as deployed
(the packaged folders under functions-framework, no DDL, MERGE through a scratch dataset).
"""
