"""Datasets on the nodes (docs/data.md): before a deployment whose spec names one
(`PluginConfig.dataset`) is sent, the CP makes sure its node holds the file, in chunks the agent
appends in order::

    CP → agent   DatasetPut{id, sha256, size_bytes, offset, data}   (no data: "what do you have?")
    agent → CP   DatasetHave{id, sha256, have_bytes, complete}  |  ErrorReply (invalid: more
                 bytes than announced, or a file whose hash is not `sha256`: the part is dropped)

A chunk at an offset other than the file's end (another deployment's transfer of the same file
moved it on) is not written; the answer's `have_bytes` says where to carry on.

The agent keeps each file once, under its data dir by sha256, verified when the last chunk
lands; a node that has it already answers `complete` to the first question, so a second
deployment of the same dataset on that node sends nothing. Added after protocol 2: an older
agent answers `unknown_type`.
"""

from __future__ import annotations

from msgspec import Struct

DATASET_CHUNK_BYTES = 4 * 1024 * 1024  # x4/3 in base64: well under MAX_MESSAGE_BYTES


class DatasetRef(Struct, kw_only=True):
    """The dataset version a plugin step seeds from (the newest when the deployment was made)."""

    name: str
    version: int
    sha256: str
    size_bytes: int
    format: str  # custom | plain


class DatasetPut(Struct, tag="dataset_put", tag_field="type", kw_only=True):
    id: int
    sha256: str
    size_bytes: int
    offset: int = 0
    data: bytes = b""  # base64 on the wire; at most DATASET_CHUNK_BYTES


class DatasetHave(Struct, tag="dataset_have", tag_field="type", kw_only=True):
    id: int
    sha256: str
    have_bytes: int  # where the next chunk goes
    complete: bool  # stored and verified


__all__ = ["DATASET_CHUNK_BYTES", "DatasetHave", "DatasetPut", "DatasetRef"]
