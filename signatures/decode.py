"""The decode stage: a parsed ``Request`` to an ``Intent`` (offline, no node)."""

from __future__ import annotations

from dataclasses import replace

from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.primitives import Address, is_unlimited_amount
from txfirewall.model.request import Method, Request, TransactionRequest, TypedDataRequest
from txfirewall.signatures.batch import decode_batch, with_raw_tx_facts
from txfirewall.signatures.calldata import decode_calldata
from txfirewall.signatures.erc7730 import with_clear_signing
from txfirewall.signatures.intent_text import describe
from txfirewall.signatures.messages import decode_personal_message
from txfirewall.signatures.nested import decode_tree
from txfirewall.signatures.typed_data import decode_typed_data


def is_unlimited(amount: int) -> bool:
    return is_unlimited_amount(amount)


def decode_request(request: Request) -> Intent:
    """The intent with its plain-words summary (no token symbols: offline)."""
    return _with_summary(decode_intent(request), request)


def decode_intent(request: Request) -> Intent:
    """What the request does, without the summary (the pipeline writes it once tokens are known)."""
    if request.calls is not None:
        intent = decode_batch(request.calls)
    elif request.transaction is not None:
        intent = _decode_transaction(request.transaction)
        if request.raw_tx is not None:
            intent = with_raw_tx_facts(intent, request.raw_tx, request.transaction.chain_id)
    elif request.typed_data is not None:
        intent = _decode_typed(request.typed_data)
    elif request.method is Method.PERSONAL_SIGN and request.message is not None:
        intent = decode_personal_message(request.message.payload)
    elif request.method is Method.SIGN and request.message is not None:
        payload = request.message.payload
        notes = () if len(payload) == 32 else (f"payload is {len(payload)} bytes, not a 32-byte hash",)
        intent = Intent(kind=IntentKind.RAW_HASH_SIGNATURE, summary="", notes=notes)
    else:
        intent = Intent(
            kind=IntentKind.UNANALYSED,
            summary="",
            notes=(f"{request.method.value} is not decoded by this version of txfirewall",),
        )
    return with_clear_signing(intent, request)


def _decode_typed(td: TypedDataRequest) -> Intent:
    """Typed data was validated against its own types, but a hostile document can still declare
    a known field name with an unexpected type; then it is described generically, never guessed."""
    try:
        return decode_typed_data(td)
    except (KeyError, TypeError, ValueError, AttributeError):
        return Intent(
            kind=IntentKind.TYPED_DATA,
            summary="",
            primary_type=td.primary_type,
            target=td.verifying_contract,
            notes=(f"{td.primary_type} has the field names of a known signature but not its shape",),
        )


def _with_summary(intent: Intent, request: Request) -> Intent:
    return replace(intent, summary=describe(intent, {}, method=request.method.value, sender=request.sender))


def _decode_transaction(tx: TransactionRequest) -> Intent:
    if tx.to is None:
        return Intent(
            kind=IntentKind.CONTRACT_CREATION, summary="", value=tx.value, notes=(f"{len(tx.data)} bytes of init code",)
        )
    if not tx.data:
        return Intent(
            kind=IntentKind.NATIVE_TRANSFER,
            summary="",
            target=tx.to,
            counterparty=tx.to,
            value=tx.value,
            amount=tx.value,
        )
    decoding = decode_calldata(tx.data)
    call = decoding.call
    tree = decode_tree(tx.to, tx.value, tx.data, decoding)
    base = Intent(
        kind=IntentKind.CONTRACT_CALL,
        summary="",
        call=call,
        target=tx.to,
        value=tx.value,
        selector=decoding.selector,
        notes=(*decoding.notes, *tree.notes),
        children=tree.children,
        allowances=tree.allowances,
        truncated=tree.truncated,
        ambiguous=decoding.ambiguous,
    )
    if call is None or decoding.role is None:
        return base
    if decoding.role == "erc20-transfer":
        return replace(
            base,
            kind=IntentKind.TOKEN_TRANSFER,
            token=tx.to,
            counterparty=_addr(call.argument("to")),
            amount=_int(call.argument("amount")),
        )
    if decoding.role in ("erc20-approve", "erc20-increase-allowance"):
        amount = _int(call.arguments[1].value)
        return replace(
            base,
            kind=IntentKind.TOKEN_APPROVAL,
            token=tx.to,
            counterparty=_addr(call.arguments[0].value),
            amount=amount,
            unlimited=is_unlimited(amount),
        )
    if decoding.role == "erc20-transfer-from":
        return replace(
            base,
            kind=IntentKind.TOKEN_TRANSFER_FROM,
            token=tx.to,
            owner=_addr(call.argument("from")),
            counterparty=_addr(call.argument("to")),
            amount=_int(call.argument("amount")),
        )
    if decoding.role == "set-approval-for-all":
        approved = bool(call.argument("approved"))
        return replace(
            base,
            kind=IntentKind.TOKEN_APPROVAL,
            token=tx.to,
            counterparty=_addr(call.argument("operator")),
            unlimited=approved,
            amount=None,
        )
    if decoding.role == "scam-payable-name":
        return replace(base, notes=(*base.notes, f"{call.signature} is a function name drainer kits use"))
    return base


def _addr(value: object) -> Address:
    assert isinstance(value, str)
    return Address(value)


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value
