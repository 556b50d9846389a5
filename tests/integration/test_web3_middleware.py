"""The web3.py middleware on a real anvil: what it blocks is never sent, what it allows is mined.

Transactions here are really sent and mined, so the module has its own private copy of the fixture
chain (the shared ``mainnet`` stays untouched). anvil runs without dev accounts: plain
``eth_sendTransaction`` works because alice is impersonated, and the signing middleware signs with
her key from the manifest. The firewalls have no history: a contract alice never used is unfamiliar.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from hexbytes import HexBytes
from web3 import AsyncHTTPProvider, AsyncWeb3, HTTPProvider, Web3
from web3.exceptions import Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder
from web3.types import RPCEndpoint

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.errors import (
    ConfigError,
    FirewallClosedError,
)
from txfirewall.firewall import Firewall, FirewallConfig, SyncFirewall
from txfirewall.model.verdict import Decision, RequestBlockedError, RequestNotConfirmedError, Verdict
from txfirewall.web3 import Web3Guard, firewall_middleware

from ..conftest import FIXTURES

pytestmark = [pytest.mark.integration]
on_session_loop = pytest.mark.asyncio(loop_scope="session")


def params_of(name: str) -> list[Any]:
    params: list[Any] = json.loads((FIXTURES / "requests" / name).read_text())["params"]
    return params


def tx_of(name: str) -> dict[str, Any]:
    tx: dict[str, Any] = params_of(name)[0]
    return tx


DRAINER_CLAIM = "e_drainer_claim.json"  # index.json: block
ETH_TO_BOB = "a_eth_to_bob.json"  # index.json: allow
NFT_APPROVAL = "j_nft_approval_for_all_drainer.json"  # this version warns (see test_pipeline_on_fixture_chain)
PERMIT = "l_eip2612_permit_typed_data.json"  # index.json: block
LOGIN = "o_personal_sign_login.json"  # index.json: allow
ETH_SIGN_HASH = "g_eth_sign_hash.json"  # index.json: block


@pytest.fixture(scope="module")
def chain(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    """A private copy of the fixture chain, with alice impersonated (anvil has no dev accounts)."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        alice = manifest["accounts"]["alice"]["address"]
        Web3(HTTPProvider(node.url)).provider.make_request(RPCEndpoint("anvil_impersonateAccount"), [alice])
        yield node


@pytest.fixture(scope="module")
def config(chain: AnvilNode, manifest: dict[str, Any]) -> FirewallConfig:
    return FirewallConfig(rpc_url=chain.url, chain_id=manifest["chain_id"])


@pytest.fixture(scope="module")
def sync_fw(config: FirewallConfig) -> Iterator[SyncFirewall]:
    with SyncFirewall(config) as fw:
        yield fw


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def async_fw(config: FirewallConfig) -> AsyncIterator[Firewall]:
    async with Firewall(config) as fw:
        yield fw


@pytest.fixture
def alice(manifest: dict[str, Any]) -> str:
    address: str = manifest["accounts"]["alice"]["address"]
    return address


@pytest.fixture
def alice_key(manifest: dict[str, Any]) -> str:
    key: str = manifest["accounts"]["alice"]["private_key"]
    return key


class Seen:
    """An on_verdict observer that keeps what the middleware saw."""

    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []

    def __call__(self, verdict: Verdict) -> None:
        self.verdicts.append(verdict)

    @property
    def last(self) -> Verdict:
        return self.verdicts[-1]


def sync_w3(chain: AnvilNode) -> Web3:
    return Web3(HTTPProvider(chain.url))


def assert_mined(w3: Web3, tx_hash: bytes) -> None:
    # anvil's automine can answer the send a moment before the block exists: wait for it.
    receipt = w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=30)
    assert receipt["status"] == 1


async def assert_mined_async(w3: AsyncWeb3[AsyncHTTPProvider], tx_hash: bytes) -> None:
    receipt = await w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=30)
    assert receipt["status"] == 1


# -- 1. sync Web3 + SyncFirewall -- #


def test_sync_block_is_not_sent_and_allow_is_mined(
    chain: AnvilNode, sync_fw: SyncFirewall, alice: str, manifest: dict[str, Any]
) -> None:
    w3 = sync_w3(chain)
    seen = Seen()
    w3.middleware_onion.inject(firewall_middleware(sync_fw, on_verdict=seen), layer=0)
    nonce, balance = w3.eth.get_transaction_count(alice), w3.eth.get_balance(alice)
    head = w3.eth.block_number

    with pytest.raises(RequestBlockedError) as blocked:
        w3.eth.send_transaction(tx_of(DRAINER_CLAIM))
    verdict = blocked.value.verdict
    assert verdict.decision is Decision.BLOCK
    assert verdict.method == "eth_sendTransaction" and verdict.sender == alice
    assert {"value-to-scam-selector", "assets-to-unfamiliar-contract"} <= {f.rule for f in verdict.findings}
    assert verdict.findings[0].title in str(blocked.value), "the message names the top finding"
    assert (w3.eth.get_transaction_count(alice), w3.eth.get_balance(alice)) == (nonce, balance)
    assert w3.eth.block_number == head, "nothing was mined"

    bob = manifest["accounts"]["bob"]["address"]
    bob_before = w3.eth.get_balance(bob)
    sent = w3.eth.send_transaction(tx_of(ETH_TO_BOB))
    assert_mined(w3, sent)
    assert seen.last.decision is Decision.ALLOW
    assert w3.eth.get_balance(bob) == bob_before + int(tx_of(ETH_TO_BOB)["value"], 16)
    assert w3.eth.get_transaction_count(alice) == nonce + 1


# -- 2. with web3's signing middleware, on either side of it -- #


@pytest.mark.parametrize(
    ("placement", "analysed_as"),
    [("outside-signer", "eth_sendTransaction"), ("inside-signer", "eth_sendRawTransaction")],
)
def test_with_the_signing_middleware_on_either_side(
    chain: AnvilNode, sync_fw: SyncFirewall, alice: str, alice_key: str, placement: str, analysed_as: str
) -> None:
    w3 = sync_w3(chain)
    seen = Seen()
    guard = firewall_middleware(sync_fw, on_verdict=seen)
    signer = SignAndSendRawMiddlewareBuilder.build(alice_key)
    # inject(layer=0) puts a middleware innermost, nearest the node: the second one injected is
    # the one that sees the request last.
    first, second = (guard, signer) if placement == "outside-signer" else (signer, guard)
    w3.middleware_onion.inject(first, layer=0)
    w3.middleware_onion.inject(second, layer=0)
    nonce = w3.eth.get_transaction_count(alice)

    with pytest.raises(RequestBlockedError) as blocked:
        w3.eth.send_transaction(tx_of(DRAINER_CLAIM))
    assert blocked.value.verdict.method == analysed_as
    assert blocked.value.verdict.sender == alice
    assert w3.eth.get_transaction_count(alice) == nonce

    sent = w3.eth.send_transaction(tx_of(ETH_TO_BOB))
    assert_mined(w3, sent)
    assert seen.last.method == analysed_as and seen.last.decision is Decision.ALLOW
    assert w3.eth.get_transaction_count(alice) == nonce + 1


# -- 3. warnings ask the confirm callback -- #


def test_a_warning_asks_confirm_and_only_true_sends(chain: AnvilNode, sync_fw: SyncFirewall, alice: str) -> None:
    asked: list[Verdict] = []
    answer = False

    def confirm(verdict: Verdict) -> bool:
        asked.append(verdict)
        return answer

    w3 = sync_w3(chain)
    w3.middleware_onion.inject(firewall_middleware(sync_fw, confirm=confirm), layer=0)
    nonce = w3.eth.get_transaction_count(alice)

    with pytest.raises(RequestNotConfirmedError) as declined:
        w3.eth.send_transaction(tx_of(NFT_APPROVAL))
    assert len(asked) == 1 and asked[0].decision is Decision.WARN
    assert declined.value.verdict is asked[0]
    assert asked[0].findings[0].title in str(declined.value)
    assert w3.eth.get_transaction_count(alice) == nonce, "declined: nothing sent"

    answer = True
    assert_mined(w3, w3.eth.send_transaction(tx_of(NFT_APPROVAL)))
    assert len(asked) == 2 and asked[1].decision is Decision.WARN
    assert w3.eth.get_transaction_count(alice) == nonce + 1


def test_a_warning_without_confirm_is_refused(chain: AnvilNode, sync_fw: SyncFirewall, alice: str) -> None:
    w3 = sync_w3(chain)
    w3.middleware_onion.inject(firewall_middleware(sync_fw), layer=0)
    nonce = w3.eth.get_transaction_count(alice)
    with pytest.raises(RequestNotConfirmedError) as refused:
        w3.eth.send_transaction(tx_of(NFT_APPROVAL))
    assert refused.value.verdict.decision is Decision.WARN
    assert w3.eth.get_transaction_count(alice) == nonce


def test_confirm_must_say_true_and_answer_directly_for_a_sync_web3(chain: AnvilNode, sync_fw: SyncFirewall) -> None:
    w3 = sync_w3(chain)
    w3.middleware_onion.inject(firewall_middleware(sync_fw, confirm=lambda _v: "yes"), layer=0)
    with pytest.raises(RequestNotConfirmedError):
        w3.eth.send_transaction(tx_of(NFT_APPROVAL))

    async def later(_verdict: Verdict) -> bool:
        return True

    w3 = sync_w3(chain)
    w3.middleware_onion.inject(firewall_middleware(sync_fw, confirm=later), layer=0)
    with pytest.raises(ConfigError, match="awaitable"):
        w3.eth.send_transaction(tx_of(NFT_APPROVAL))


# -- 4. signatures -- #


def test_signature_requests_are_analysed(chain: AnvilNode, sync_fw: SyncFirewall, alice: str) -> None:
    w3 = sync_w3(chain)
    seen = Seen()
    w3.middleware_onion.inject(firewall_middleware(sync_fw, on_verdict=seen), layer=0)

    # eth_signTypedData_v4 with the document as JSON text (as a dapp sends it), then as a dict.
    permit = params_of(PERMIT)
    for document in (permit[1], json.loads(permit[1])):
        with pytest.raises(RequestBlockedError) as blocked:
            w3.manager.request_blocking(RPCEndpoint("eth_signTypedData_v4"), [permit[0], document])
        assert blocked.value.verdict.method == "eth_signTypedData_v4"
        assert "permit-to-eoa" in {f.rule for f in blocked.value.verdict.findings}
        assert "Permit to an address with no code" in str(blocked.value)

    # web3's own sign_typed_data (eth_signTypedData) goes through the same analysis.
    with pytest.raises(RequestBlockedError) as blocked:
        w3.eth.sign_typed_data(alice, json.loads(permit[1]))
    assert blocked.value.verdict.method == "eth_signTypedData"

    with pytest.raises(RequestBlockedError) as blocked:
        w3.eth.sign(alice, hexstr=params_of(ETH_SIGN_HASH)[1])
    assert "eth-sign-raw-hash" in {f.rule for f in blocked.value.verdict.findings}

    # An allowed login message reaches the node, which has no key to sign with: its error, not ours.
    message, signer = params_of(LOGIN)
    with pytest.raises(Web3RPCError):
        w3.manager.request_blocking(RPCEndpoint("personal_sign"), [HexBytes(message), signer])
    assert seen.last.method == "personal_sign" and seen.last.decision is Decision.ALLOW
    assert seen.last.sender == alice


# -- 6. web3's Python values are normalised -- #


def test_python_values_reach_the_analysis_intact(chain: AnvilNode, sync_fw: SyncFirewall, alice: str) -> None:
    """HexBytes data and int quantities, as a caller hands them to the request manager (below web3's
    own formatters), are analysed as the same transaction as the sample's hex JSON."""
    w3 = sync_w3(chain)
    w3.middleware_onion.inject(firewall_middleware(sync_fw), layer=0)
    sample = tx_of(DRAINER_CLAIM)
    pythonic = {
        "from": sample["from"].lower(),
        "to": sample["to"],
        "value": int(sample["value"], 16),
        "data": HexBytes(sample["data"]),
        "gas": 100_000,
    }
    nonce = w3.eth.get_transaction_count(alice)
    with pytest.raises(RequestBlockedError) as blocked:
        w3.manager.request_blocking(RPCEndpoint("eth_sendTransaction"), (pythonic,))
    verdict = blocked.value.verdict
    assert verdict.sender == alice
    assert verdict.intent.target == sample["to"]
    assert verdict.intent.value == 10**18
    assert verdict.intent.selector is not None and verdict.intent.selector == "0x3158952e"
    assert w3.eth.get_transaction_count(alice) == nonce


# -- batches, failures, ownership -- #


def test_a_batch_with_one_blocked_request_sends_nothing(chain: AnvilNode, sync_fw: SyncFirewall, alice: str) -> None:
    """web3's ``batch_requests()`` refuses sending and signing methods itself; a batch made below it
    (the provider's batch function, through the same middleware onion) is screened request by
    request before any of it is sent."""
    w3 = sync_w3(chain)
    seen = Seen()
    w3.middleware_onion.inject(firewall_middleware(sync_fw, on_verdict=seen), layer=0)
    send_batch = w3.provider.batch_request_func(w3, w3.middleware_onion)
    nonce = w3.eth.get_transaction_count(alice)
    plain = {**tx_of(ETH_TO_BOB), "gas": hex(21_000)}
    drainer = {**tx_of(DRAINER_CLAIM), "gas": hex(100_000)}
    with pytest.raises(RequestBlockedError) as blocked:
        send_batch(
            [
                (RPCEndpoint("eth_chainId"), []),
                (RPCEndpoint("eth_sendTransaction"), [plain]),
                (RPCEndpoint("personal_sign"), params_of(LOGIN)),
                (RPCEndpoint("eth_sendTransaction"), [drainer]),
            ]
        )
    assert blocked.value.verdict.decision is Decision.BLOCK
    assert [v.method for v in seen.verdicts] == ["eth_sendTransaction", "personal_sign", "eth_sendTransaction"]
    assert w3.eth.get_transaction_count(alice) == nonce, "not even the allowed requests went out"

    responses = send_batch([(RPCEndpoint("eth_chainId"), []), (RPCEndpoint("eth_sendTransaction"), [plain])])
    assert isinstance(responses, list) and responses[0]["result"] == hex(7357)
    assert_mined(w3, HexBytes(responses[1]["result"]))


def test_an_owned_firewall_closes_with_its_guard_and_then_refuses(chain: AnvilNode, config: FirewallConfig) -> None:
    """A guard made from a FirewallConfig creates its SyncFirewall on the first signing request; once
    closed, signing requests fail closed and the rest of web3 keeps working."""
    w3 = sync_w3(chain)
    with Web3Guard(config) as guard:
        w3.middleware_onion.inject(guard.middleware, layer=0)
        assert guard.owns_firewall
        with pytest.raises(RequestBlockedError):
            w3.eth.send_transaction(tx_of(DRAINER_CLAIM))
    head = w3.eth.block_number
    with pytest.raises(FirewallClosedError):
        w3.eth.send_transaction(tx_of(ETH_TO_BOB))
    assert w3.eth.block_number == head
    assert w3.eth.chain_id == 7357, "methods that are not analysed pass through"


# -- note_sent -- #


def test_a_send_is_noted_so_the_next_analysis_sees_its_block(
    chain: AnvilNode, config: FirewallConfig, alice: str, manifest: dict[str, Any]
) -> None:
    """With head checks an hour apart, only the middleware's ``note_sent`` after a send makes the
    firewall look at the head again: the next analysis runs on the block that holds the send. A
    send it was not told about (the control, through a Web3 without the middleware) is not seen."""
    login = params_of(LOGIN)
    with SyncFirewall(replace(config, head_check_interval=3600)) as fw:
        seen = Seen()
        w3 = sync_w3(chain)
        w3.middleware_onion.inject(firewall_middleware(fw, on_verdict=seen), layer=0)
        bare = sync_w3(chain)

        def analysed_block() -> int:
            with pytest.raises(Web3RPCError):  # allowed; anvil has no key to sign with
                w3.manager.request_blocking(RPCEndpoint("personal_sign"), login)
            state = seen.last.block
            assert state is not None
            return state.number

        assert analysed_block() == w3.eth.block_number, "the first analysis checks the head"
        assert_mined(bare, bare.eth.send_transaction({"from": alice, "to": manifest["accounts"]["bob"]["address"]}))
        assert analysed_block() == w3.eth.block_number - 1, "not told of that send: still the old head"

        assert_mined(w3, w3.eth.send_transaction(tx_of(ETH_TO_BOB)))
        assert analysed_block() == w3.eth.block_number, "told: the head with the send"
        assert seen.last.block is not None and seen.last.block.pending_sends == 0, "the noted send is mined"


# -- 5. AsyncWeb3 + Firewall -- #


@pytest_asyncio.fixture(loop_scope="session")
async def async_w3(chain: AnvilNode) -> AsyncIterator[AsyncWeb3[AsyncHTTPProvider]]:
    w3 = AsyncWeb3(AsyncHTTPProvider(chain.url))
    yield w3
    await w3.provider.disconnect()


@on_session_loop
async def test_async_block_is_not_sent_and_allow_is_mined(
    async_w3: AsyncWeb3[AsyncHTTPProvider], async_fw: Firewall, alice: str
) -> None:
    seen = Seen()
    async_w3.middleware_onion.inject(firewall_middleware(async_fw, on_verdict=seen), layer=0)
    nonce = await async_w3.eth.get_transaction_count(alice)
    head = await async_w3.eth.block_number

    with pytest.raises(RequestBlockedError) as blocked:
        await async_w3.eth.send_transaction(tx_of(DRAINER_CLAIM))
    assert blocked.value.verdict.decision is Decision.BLOCK
    assert blocked.value.verdict.findings[0].title in str(blocked.value)
    assert await async_w3.eth.get_transaction_count(alice) == nonce
    assert await async_w3.eth.block_number == head

    sent = await async_w3.eth.send_transaction(tx_of(ETH_TO_BOB))
    await assert_mined_async(async_w3, sent)
    assert seen.last.decision is Decision.ALLOW
    assert await async_w3.eth.get_transaction_count(alice) == nonce + 1


@pytest.mark.parametrize("kind", ["async def", "plain function"])
@on_session_loop
async def test_async_confirm_may_be_a_coroutine_or_a_plain_function(
    async_w3: AsyncWeb3[AsyncHTTPProvider], async_fw: Firewall, alice: str, kind: str
) -> None:
    asked: list[Verdict] = []

    async def ask_later(verdict: Verdict) -> bool:
        asked.append(verdict)
        return False

    def ask_now(verdict: Verdict) -> bool:
        asked.append(verdict)
        return False

    confirm: Callable[[Verdict], Any] = ask_later if kind == "async def" else ask_now
    async_w3.middleware_onion.inject(firewall_middleware(async_fw, confirm=confirm), layer=0)
    nonce = await async_w3.eth.get_transaction_count(alice)
    with pytest.raises(RequestNotConfirmedError) as declined:
        await async_w3.eth.send_transaction(tx_of(NFT_APPROVAL))
    assert [v.decision for v in asked] == [Decision.WARN]
    assert declined.value.verdict is asked[0]
    assert await async_w3.eth.get_transaction_count(alice) == nonce


@on_session_loop
async def test_async_signing_middleware_and_an_owned_firewall(
    async_w3: AsyncWeb3[AsyncHTTPProvider], config: FirewallConfig, alice: str, alice_key: str
) -> None:
    """An AsyncWeb3 with a Web3Guard that creates its own Firewall, inside web3's signing middleware;
    a send is noted, so the next analysis runs on its block although head checks are an hour apart."""
    seen = Seen()
    async with Web3Guard(replace(config, head_check_interval=3600), on_verdict=seen) as guard:
        async_w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(alice_key), layer=0)
        async_w3.middleware_onion.inject(guard.middleware, layer=0)
        nonce = await async_w3.eth.get_transaction_count(alice)
        with pytest.raises(RequestBlockedError) as blocked:
            await async_w3.eth.send_transaction(tx_of(DRAINER_CLAIM))
        assert blocked.value.verdict.method == "eth_sendRawTransaction"
        sent = await async_w3.eth.send_transaction(tx_of(ETH_TO_BOB))
        await assert_mined_async(async_w3, sent)
        assert await async_w3.eth.get_transaction_count(alice) == nonce + 1
        # The send was noted: the next analysis runs on its block despite the hour between checks.
        with pytest.raises(RequestBlockedError):
            await async_w3.eth.send_transaction(tx_of(DRAINER_CLAIM))
        block = seen.last.block
        assert block is not None and block.number == await async_w3.eth.block_number
    with pytest.raises(FirewallClosedError):
        await async_w3.eth.send_transaction(tx_of(ETH_TO_BOB))
