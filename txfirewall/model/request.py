"""A signing request, parsed from the JSON-RPC request object a wallet would receive.

Raw signed transactions, EIP-712 typed data and ``wallet_sendCalls`` batches each have their own
parsed shape (``raw_tx``, ``typed_data``, ``calls``); ``transaction`` is filled for anything that
will execute as one transaction, so simulation and transaction rules see it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from txfirewall.model.primitives import Address, ChainId


class Method(StrEnum):
    """JSON-RPC methods txfirewall knows. Those it cannot decode yet are still signing methods."""

    SEND_TRANSACTION = "eth_sendTransaction"
    SIGN_TRANSACTION = "eth_signTransaction"
    SEND_RAW_TRANSACTION = "eth_sendRawTransaction"
    SIGN = "eth_sign"
    PERSONAL_SIGN = "personal_sign"
    SIGN_TYPED_DATA = "eth_signTypedData"
    SIGN_TYPED_DATA_V1 = "eth_signTypedData_v1"
    SIGN_TYPED_DATA_V3 = "eth_signTypedData_v3"
    SIGN_TYPED_DATA_V4 = "eth_signTypedData_v4"
    WALLET_SEND_CALLS = "wallet_sendCalls"


SIGNING_METHODS: frozenset[Method] = frozenset(Method)
"""Every method txfirewall analyses: the ones that ask a wallet to sign. ``Method`` is a
``StrEnum``, so ``"personal_sign" in SIGNING_METHODS`` works with plain strings."""

TRANSACTION_METHODS = frozenset({Method.SEND_TRANSACTION, Method.SIGN_TRANSACTION})
TYPED_DATA_METHODS = frozenset(
    {Method.SIGN_TYPED_DATA, Method.SIGN_TYPED_DATA_V1, Method.SIGN_TYPED_DATA_V3, Method.SIGN_TYPED_DATA_V4}
)


GAS_PER_BLOB = 2**17
"""Blob gas each blob uses (EIP-4844), whatever the blob holds."""


@dataclass(frozen=True)
class TransactionRequest:
    """The fields of an ``eth_sendTransaction`` object, validated and typed."""

    sender: Address
    to: Address | None
    value: int = 0
    data: bytes = b""
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    nonce: int | None = None
    chain_id: ChainId | None = None
    tx_type: int | None = None
    """The EIP-2718 type when the request states it (``type`` field or the raw envelope)."""
    access_list: tuple[tuple[Address, tuple[bytes, ...]], ...] = ()

    @property
    def fee_cap(self) -> int | None:
        """The most per unit of gas the sender may pay (gasPrice or maxFeePerGas)."""
        return self.gas_price if self.gas_price is not None else self.max_fee_per_gas

    @property
    def max_fee(self) -> int | None:
        """gas x fee cap: the most this transaction can cost in fees, when both are stated."""
        cap = self.fee_cap
        return None if cap is None or self.gas is None else cap * self.gas


@dataclass(frozen=True)
class SetCodeAuthorization:
    """One EIP-7702 authorization tuple, its recovered authority and why it is invalid, if it is.

    ``problem`` covers what is wrong on every chain (s > n/2, bad y-parity, nonce overflow, a
    signature that recovers nothing); whether ``chain_id`` fits the active chain is decided later.
    """

    index: int
    chain_id: int
    address: Address
    nonce: int
    y_parity: int
    r: int
    s: int
    authority: Address | None
    problem: str | None = None

    def valid_on(self, chain_id: int | None) -> bool:
        if self.problem is not None or self.authority is None:
            return False
        return self.chain_id == 0 or chain_id is None or self.chain_id == chain_id


@dataclass(frozen=True)
class RawTransaction:
    """A decoded signed transaction (``eth_sendRawTransaction``): envelope facts beyond the fields."""

    tx_type: int
    raw: bytes
    hash: bytes
    sender: Address
    eip155: bool
    """False for a legacy transaction signed without a chain id (replayable on every chain)."""
    signature: tuple[int, int, int]
    blob_hashes: tuple[bytes, ...] = ()
    max_fee_per_blob_gas: int | None = None
    blob_sidecar: bool = False
    authorizations: tuple[SetCodeAuthorization, ...] = ()
    nonce: int | None = None
    """The transaction's own nonce (the sender's nonce before it runs)."""

    @property
    def max_blob_fee(self) -> int:
        """The most the blobs can cost (EIP-4844): blobs x ``GAS_PER_BLOB`` x maxFeePerBlobGas; 0
        for a transaction without blobs."""
        return len(self.blob_hashes) * GAS_PER_BLOB * (self.max_fee_per_blob_gas or 0)

    def authorization_outcomes(
        self, chain_id: int | None, nonces: Mapping[Address, int] | None = None
    ) -> tuple[AuthorizationOutcome, ...]:
        """Each tuple, in order, with whether it applies (EIP-7702's processing rules).

        Tuples are processed in order. One applies only when it is valid (``problem``, chain id)
        and the authority's current nonce equals the tuple's nonce; applying it increments that
        nonce. So of two tuples from one authority with the same nonce only the first applies; with
        nonces n and n+1 both apply and the later one's delegation is the one left. The sender's
        nonce is incremented by the transaction itself before the list is processed, so the
        sender's own tuples start at the transaction nonce + 1. ``nonces`` gives the other
        authorities' nonces when known (read from the chain); an authority with no known nonce
        is taken to start at its first valid tuple's nonce (the one that can apply).
        """
        current: dict[Address, int] = dict(nonces or {})
        if self.nonce is not None:
            current[self.sender] = self.nonce + 1
        last_applied: dict[Address, int] = {}
        outcomes: list[AuthorizationOutcome] = []
        for auth in self.authorizations:
            authority = auth.authority
            if auth.problem is not None or authority is None:
                outcomes.append(AuthorizationOutcome(auth, False, f"invalid: {auth.problem or 'no authority'}"))
                continue
            if not auth.valid_on(chain_id):
                outcomes.append(AuthorizationOutcome(auth, False, f"names chain {auth.chain_id}"))
                continue
            expected = current.setdefault(authority, auth.nonce)
            if auth.nonce != expected:
                why = f"its nonce {auth.nonce} is not the authority's nonce ({expected}) when it is processed"
                earlier = last_applied.get(authority)
                if earlier is not None and auth.nonce < expected:
                    why += f" (authorization {earlier} from the same authority applied first and used its nonce)"
                elif authority == self.sender and auth.nonce == self.nonce:
                    why += " (the transaction itself uses the sender's nonce first)"
                outcomes.append(AuthorizationOutcome(auth, False, why))
                continue
            current[authority] = expected + 1
            last_applied[authority] = auth.index
            outcomes.append(AuthorizationOutcome(auth, True))
        return tuple(outcomes)

    def applied_authorizations(
        self, chain_id: int | None, nonces: Mapping[Address, int] | None = None
    ) -> tuple[SetCodeAuthorization, ...]:
        """The tuples whose delegation is in force after the transaction: per authority the last
        one that applies (see ``authorization_outcomes``), in list order."""
        last: dict[Address, SetCodeAuthorization] = {}
        for outcome in self.authorization_outcomes(chain_id, nonces):
            if outcome.applies and outcome.authorization.authority is not None:
                last[outcome.authorization.authority] = outcome.authorization
        return tuple(sorted(last.values(), key=lambda a: a.index))


@dataclass(frozen=True)
class AuthorizationOutcome:
    """What EIP-7702 processing does with one tuple: applies it, or skips it and why."""

    authorization: SetCodeAuthorization
    applies: bool
    skipped_because: str | None = None


@dataclass(frozen=True)
class TypedDataRequest:
    """An EIP-712 request after strict validation. ``message`` keeps JSON values as given;
    ``digest`` is the EIP-712 signing hash (None for the legacy v1 array format when unhashable)."""

    signer: Address
    primary_type: str
    domain: dict[str, Any]
    types: dict[str, tuple[tuple[str, str], ...]]
    message: dict[str, Any]
    digest: bytes | None
    domain_chain_id: int | None = None
    verifying_contract: Address | None = None
    legacy: bool = False
    addresses: tuple[tuple[str, Address], ...] = ()
    """Every address-typed field in domain and message, by path (capped)."""


@dataclass(frozen=True)
class BatchCall:
    """One call in a ``wallet_sendCalls`` batch."""

    to: Address | None
    value: int = 0
    data: bytes = b""


@dataclass(frozen=True)
class CallsRequest:
    """An EIP-5792 ``wallet_sendCalls`` batch."""

    sender: Address | None
    chain_id: ChainId | None
    calls: tuple[BatchCall, ...]
    atomic_required: bool = False
    version: str = ""


@dataclass(frozen=True)
class MessageRequest:
    """A message-signing request: who signs, and the exact bytes."""

    signer: Address
    payload: bytes


@dataclass(frozen=True)
class Request:
    """One parsed signing request. ``raw`` is the original JSON object, kept for the audit log."""

    method: Method
    id: int | str | None
    transaction: TransactionRequest | None = None
    message: MessageRequest | None = None
    origin: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    raw_tx: RawTransaction | None = None
    typed_data: TypedDataRequest | None = None
    calls: CallsRequest | None = None

    @property
    def sender(self) -> Address | None:
        """The account asked to sign."""
        if self.transaction is not None:
            return self.transaction.sender
        if self.message is not None:
            return self.message.signer
        if self.typed_data is not None:
            return self.typed_data.signer
        if self.calls is not None:
            return self.calls.sender
        return None

    @property
    def request_chain_id(self) -> ChainId | None:
        """The chain the request itself names (transaction, typed-data domain or batch)."""
        if self.transaction is not None and self.transaction.chain_id is not None:
            return self.transaction.chain_id
        if self.typed_data is not None and self.typed_data.domain_chain_id is not None:
            return ChainId(self.typed_data.domain_chain_id)
        if self.calls is not None:
            return self.calls.chain_id
        return None
