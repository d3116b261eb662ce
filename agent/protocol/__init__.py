"""The control plane ↔ agent wire protocol: every message both sides exchange, in one place.

Transport: one TLS WebSocket per node; the agent is the server (``wss://host:port/``), the
control plane (CP) the client. Every message is one JSON text frame holding an object whose
``type`` names it (explicit tags, so renaming a class never changes the wire). A frame larger
than ``MAX_MESSAGE_BYTES`` gets an ``error`` reply (code ``too_large``) and is dropped; the
connection stays up. Frames above ``TRANSPORT_LIMIT_BYTES`` make the WebSocket layer close the
connection (code 1009); the agent itself stays up. The CP should open its client with
``max_size=MAX_MESSAGE_BYTES``.

Handshake (the CP pins the agent certificate by ``thumbprint``: SHA-256 of the DER
certificate, hex lowercase; a different one means the node is ``untrusted``)::

    agent → CP   Hello{agent_version, protocol_version, nonce, thumbprint, agent_id}
    CP → agent   Auth{protocol_version, cp_nonce, proof}
    agent → CP   Welcome{…, proof}  |  AuthFailed{}  (then close)  |  Incompatible{…} (then close)

``key = sha256(token_utf8).digest()`` (the agent stores only this key, never the token; the CP
stores it encrypted) and ``proof = HMAC-SHA256(key, b"shoal-auth-v1|" + nonce + b"|" +
cp_nonce + b"|" + thumbprint).hex()`` with the three strings UTF-8 encoded (see ``auth_proof``).
The agent's fresh random nonce makes a captured exchange useless later, and the thumbprint binds
the proof to this certificate, so it cannot be relayed through another TLS endpoint. A wrong
proof gets ``AuthFailed`` without saying what was wrong, and repeated failures are slowed down.
A protocol version the agent does not speak gets ``Incompatible`` and the connection is closed.
A newer authenticated session replaces the older one (the old socket is closed, code 4000).

The proof is mutual: ``Welcome.proof`` is the same HMAC under another label, ``b"shoal-agent-v1"``
(see ``agent_proof``), over the same two nonces and thumbprint. The CP checks it before it pins
the certificate, marks the node online or sends anything but ``Auth``: a process that took the
node's port without knowing the token never gets a deployment, a secret or a route. The two
labels differ so that neither side's proof can be reflected back as the other's.

After ``Welcome`` the CP sends ``Sync`` with the node's full desired state; then any request.
Every request carries an ``id`` chosen by the CP and gets exactly one reply with that ``id``
(``ok``, ``error``, ``deployments``, ``metrics_result`` or ``exec_result``), except
``terminal_input``/``_resize``/``_ack``/``_close``, answered only when they fail (see
agent.protocol.terminals: a reply per keystroke would double the traffic). Events carry no
``id`` (except ``log``/``logs_end`` lines of a ``logs`` request, which carry its id as
``stream_id``, and terminal output, which carries the terminal's key).
Requests are idempotent by deployment id: a resend after a reconnect does no harm. Secrets and
registry credentials travel only inside ``deploy``/``sync``/``plugins`` and are kept only in the
agent's memory while it needs them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec
from msgspec import Struct

from agent.protocol.data import *  # noqa: F403
from agent.protocol.datasets import *  # noqa: F403
from agent.protocol.execs import *  # noqa: F403  (these modules' __all__ are the API)
from agent.protocol.messages import *  # noqa: F403
from agent.protocol.messages import Message
from agent.protocol.spec import *  # noqa: F403
from agent.protocol.state import *  # noqa: F403
from agent.protocol.terminals import *  # noqa: F403

# Bumped on any change an older peer could not read; the agent refuses other versions.
PROTOCOL_VERSION = 2  # 2: the agent proves the token too (Welcome.proof)
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
STEP_LOG_BYTES = 1024 * 1024  # a plugin step's kept stderr (StepFinished.log): its last 1 MB
TRANSPORT_LIMIT_BYTES = 64 * 1024 * 1024
AUTH_CONTEXT = b"shoal-auth-v1"
AGENT_CONTEXT = b"shoal-agent-v1"


def token_key(token: str) -> bytes:
    """The key both sides derive from a node token (the agent stores only its hex)."""
    return hashlib.sha256(token.encode()).digest()


def auth_proof(key: bytes, nonce: str, cp_nonce: str, thumbprint: str) -> str:
    """The control plane's proof that it knows the node token (in ``Auth``)."""
    return _proof(AUTH_CONTEXT, key, nonce, cp_nonce, thumbprint)


def agent_proof(key: bytes, nonce: str, cp_nonce: str, thumbprint: str) -> str:
    """The agent's proof that it knows the node token (in ``Welcome``)."""
    return _proof(AGENT_CONTEXT, key, nonce, cp_nonce, thumbprint)


def proofs_match(expected: str, presented: str) -> bool:
    return hmac.compare_digest(expected.encode(), presented.lower().encode())


def _proof(context: bytes, key: bytes, nonce: str, cp_nonce: str, thumbprint: str) -> str:
    message = b"|".join([context, nonce.encode(), cp_nonce.encode(), thumbprint.encode()])
    return hmac.new(key, message, hashlib.sha256).hexdigest()


_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder] = {}


def encode(message: Struct) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes | str, kind: Any = Message) -> Any:
    """Decode one frame as `kind` (a union: Message, Request, Reply, Event, Handshake or one
    Struct); raises msgspec.DecodeError (not JSON) or msgspec.ValidationError (wrong shape)."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    return decoder.decode(data)
