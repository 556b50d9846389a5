"""Faults injected into a running proxy on the fixture chain (issue 13): the upstream node killed
mid-request, answering slowly, answering garbage or half a body; the analysis fork (anvil) killed
mid-simulation; the disk filling up under the audit log; the proxy itself SIGKILLed while
requests are held, then started again.

The proxy is the real one: ``ProxyServer`` in this process where the test needs to reach into it
(the fork's pid), ``txfirewall proxy`` as a process where it must die or run in a namespace of its
own. As ``txfirewall proxy`` does, its analysis reads the same upstream it forwards to, so a
failing upstream fails both. The upstream is a recording ``MisbehavingUpstream`` in front of a
real anvil (what it received is what the node would have executed). How each fault is made real
is in ``tests/support/faults.py``.

Every case asserts:

* signing requests are blocked or held with a reason, never forwarded unanalysed: the upstream
  received no ``eth_sendTransaction``/``eth_sendRawTransaction`` while the fault lasted;
* reads get a JSON-RPC error with their id, never a success made of half a reply;
* nothing waits past its timeout (elapsed time bounded, with generous margins: these are not
  performance assertions);
* the proxy recovers by itself: once the fault is over, the next read is answered as the node
  answers it and the next allowed send is forwarded, without a restart (except after SIGKILL);
* the audit log verifies (``txfirewall audit verify`` exits 0).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions, free_port
from txfirewall.proxy.audit import AuditLog

from ..support.faults import (
    FullDisk,
    ProxyProcess,
    alive,
    audit_records,
    audit_verify,
    tmpfs_wrapper,
    until,
    userns_available,
    wait_gone,
    wait_pending,
)
from ..support.misbehaving_upstream import MisbehavingUpstream
from ..support.proxy_harness import CHAIN_ID, FIXTURES, Harness, call, request, running_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

T = TypeVar("T")

READ = call("eth_getBlockByNumber", ["0x2", False], id_="read")
DRAINER = request("e_drainer_claim.json")
"""Blocked whenever it can be analysed."""
PLAIN_SEND = request("a_eth_to_bob.json")
"""Allowed: forwarded, and the node (no signer) answers "No Signer available"."""
HELD = request("j_nft_approval_for_all_drainer.json")
"""A warning: held for the user."""
SENDS = ("eth_sendTransaction", "eth_sendRawTransaction")
UPSTREAM_TIMEOUT = 5.0
ANALYSIS_TIMEOUT = 15.0
MARGIN = 20.0
"""Added to every timeout before calling a wait a hang: the machine may be busy."""
TIMEOUTS = {"upstream_timeout": UPSTREAM_TIMEOUT, "analysis_timeout": ANALYSIS_TIMEOUT}


def sends(upstream: MisbehavingUpstream) -> int:
    return sum(upstream.calls(m) for m in SENDS)


async def timed(awaitable: Awaitable[T]) -> tuple[T, float]:
    started = time.monotonic()
    result = await awaitable
    return result, time.monotonic() - started


def assert_read_failed(reply: Any, elapsed: float, *, within: float = UPSTREAM_TIMEOUT) -> None:
    assert isinstance(reply, dict) and reply.get("id") == "read", reply
    assert "result" not in reply and reply["error"]["code"] == -32603, reply
    assert elapsed < within + MARGIN, f"a read took {elapsed:.1f}s"


async def assert_blocked_or_held(h: Harness, body: Any) -> Any:
    """The request is refused with a reason (4001), or held for the user (and rejected there, as
    a user would who was shown it): never forwarded, never left hanging."""
    (reply, _), elapsed = await timed(h.settle(body))
    assert "result" not in reply and reply["error"]["code"] == 4001, reply
    assert reply["error"]["message"].startswith(("txfirewall refused", "txfirewall blocked", "txfirewall held")), reply
    assert elapsed < ANALYSIS_TIMEOUT + MARGIN, f"a signing request took {elapsed:.1f}s"
    return reply


async def assert_recovered(h: Harness) -> None:
    """The next requests after the fault work, with no restart: a read is what the node says,
    the drainer is blocked, and an allowed send reaches the node exactly once."""
    proxied, direct = await h.post(READ), await h.direct(READ)
    assert proxied.status_code == 200 and proxied.content == direct.content, proxied.text
    before = sends(h.upstream)
    blocked = await h.rpc(DRAINER)
    assert blocked["error"]["code"] == 4001 and blocked["error"]["data"]["verdict"] == "block", blocked
    sent = await h.rpc(PLAIN_SEND)
    assert sent["error"]["message"] == "No Signer available", f"forwarded and answered by the node: {sent}"
    assert sends(h.upstream) == before + 1


def assert_log_verifies(path: Path) -> dict[str, Any]:
    out = audit_verify(path)
    assert out.returncode == 0, out.stdout + out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    assert report["ok"] and report["entries"] > 0
    return report


def chain_options() -> AnvilOptions:
    """The fixture chain, for a node of the test's own (it is killed)."""
    return AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN_ID)


# --- the upstream node killed mid-request ---------------------------------------------------------------


async def test_the_upstream_node_killed_mid_request(tmp_path: Path) -> None:
    """The node is frozen, a read and a signing request's analysis reach it, and it is SIGKILLed
    while it holds both: the read is an error, the send is refused; while the node is down
    everything fails fast; once a node is back behind the same address, the proxy works again."""
    log = tmp_path / "audit.jsonl"
    node = await asyncio.to_thread(AnvilNode.start, chain_options())
    try:
        async with (
            MisbehavingUpstream(node.url) as up,
            running_proxy(
                node.url, tmp_path / "control.json", upstream=up, firewall_via_upstream=True, audit=AuditLog(log),
                upstream_timeout=30.0, analysis_timeout=60.0,
            ) as own,
        ):  # fmt: skip
            os.kill(node.pid, signal.SIGSTOP)
            seen = up.count()
            read = asyncio.create_task(timed(own.rpc(READ)))
            await until(lambda: "eth_getBlockByNumber" in up.methods()[seen:], 30, "the read did not arrive")
            seen = up.count()
            signing = asyncio.create_task(timed(own.settle(PLAIN_SEND)))
            await until(lambda: up.count() > seen, 30, "the analysis asked the node nothing")
            await wait_pending(node.port, timeout=30)
            os.kill(node.pid, signal.SIGKILL)
            killed_at = time.monotonic()

            read_reply, _ = await read
            assert_read_failed(read_reply, time.monotonic() - killed_at)
            (reply, _held), _ = await signing
            assert "result" not in reply and reply["error"]["code"] == 4001, reply
            assert time.monotonic() - killed_at < MARGIN, "the kill was noticed, not waited out"

            # Down: reads fail and signing is refused, promptly.
            down, elapsed = await timed(own.rpc(READ))
            assert_read_failed(down, elapsed)
            await asyncio.gather(*(assert_blocked_or_held(own, body) for body in (DRAINER, PLAIN_SEND)))
            assert sends(up) == 0, "nothing was forwarded while the node was gone"

            # Back: a node with the same chain behind the same upstream address.
            node.stop()
            node = await asyncio.to_thread(AnvilNode.start, chain_options())
            up.backend = own.node_url = node.url
            await assert_recovered(own)
    finally:
        node.stop()
    assert_log_verifies(log)


# --- the upstream answering slowly, with garbage, or with half a body ----------------------------------


@pytest.mark.parametrize("mode", ["slow", "garbage", "invalid_json", "truncate", "truncate_chunked"])
async def test_a_failing_upstream_errors_reads_and_refuses_signing_then_recovers(
    rel_chain: AnvilNode, tmp_path: Path, mode: str
) -> None:
    """``slow``: every answer comes after the proxy's timeouts (``delay`` > ``analysis_timeout``
    > ``upstream_timeout``); ``garbage``: a 200 with an HTML page and binary bytes; ``invalid_json``:
    a 200 with JSON cut short; ``truncate``/``truncate_chunked``: half the body announced, then the
    connection closed."""
    log = tmp_path / "audit.jsonl"
    async with running_proxy(
        rel_chain.url, tmp_path / "control.json", firewall_via_upstream=True, audit=AuditLog(log), **TIMEOUTS
    ) as own:
        up = own.upstream
        up.delay = ANALYSIS_TIMEOUT + 2
        up.mode = mode
        reply, elapsed = await timed(own.rpc(READ))
        assert_read_failed(reply, elapsed)
        batch, elapsed = await timed(own.rpc([call("eth_chainId", id_=1), call("eth_blockNumber", id_=2)]))
        assert [r["id"] for r in batch] == [1, 2] and all("result" not in r for r in batch), batch
        assert elapsed < UPSTREAM_TIMEOUT + MARGIN
        await asyncio.gather(*(assert_blocked_or_held(own, body) for body in (DRAINER, PLAIN_SEND, HELD)))
        assert sends(up) == 0, "nothing was forwarded while the upstream failed"

        up.mode = "pass"
        await up.idle(timeout=up.delay + MARGIN)  # a slow upstream's late answers are in
        await assert_recovered(own)
    assert_log_verifies(log)


async def test_a_slow_upstream_within_the_timeout_is_waited_for(rel: Harness) -> None:
    """Slow is not failed: an answer that comes before ``upstream_timeout`` is passed on whole."""
    rel.upstream.mode, rel.upstream.delay = "slow", 0.5
    (proxied, elapsed), direct = await timed(rel.post(READ)), await rel.direct(READ)
    assert proxied.content == direct.content and elapsed >= 0.5


# --- the analysis fork killed mid-simulation --------------------------------------------------------------


async def test_the_analysis_fork_killed_mid_simulation(rel_chain: AnvilNode, tmp_path: Path) -> None:
    """The fork is frozen, a signing request's simulation reaches it, and it is SIGKILLed: the
    request is blocked or held with a reason (never allowed on a simulation that did not run);
    the next request starts a new fork by itself and is analysed as usual."""
    log = tmp_path / "audit.jsonl"
    async with running_proxy(rel_chain.url, tmp_path / "control.json", audit=AuditLog(log), **TIMEOUTS) as own:
        fw = own.proxy.firewall
        await assert_recovered(own)  # alice's state now cached on the fork: her next analysis runs there
        alice = PLAIN_SEND["params"][0]["from"].lower()

        def warm() -> bool:
            return fw.fork is not None and alice in {s.lower() for s in fw.fork.warm_senders}

        await until(warm, ANALYSIS_TIMEOUT + MARGIN, "the fork was not warmed for alice")
        fork = fw.fork
        assert fork is not None
        before = sends(own.upstream)

        os.kill(fork.node.pid, signal.SIGSTOP)
        signing = asyncio.create_task(timed(assert_blocked_or_held(own, PLAIN_SEND)))
        await wait_pending(fork.node.port, timeout=30)
        os.kill(fork.node.pid, signal.SIGKILL)
        reply, _ = await signing
        assert sends(own.upstream) == before, "a send whose simulation died was forwarded"
        assert "error" in reply

        await assert_recovered(own)
        assert fw.fork is not None and fw.fork.node.pid != fork.node.pid and fw.fork.node.running
        assert not alive(fork.node.pid)
    assert_log_verifies(log)


# --- the disk full under the audit log ---------------------------------------------------------------------


async def test_a_full_disk_refuses_what_the_audit_log_cannot_record(rel_chain: AnvilNode, tmp_path: Path) -> None:
    """The audit log's filesystem fills up: reads go on; a drainer is still blocked; an allowed
    send is refused (nothing goes out unrecorded) and a warning is refused rather than held; the
    log keeps no partial line. Space freed, the next send is recorded and forwarded, no restart."""
    audit_dir = tmp_path / "audit"
    audit_dir.mkdir()
    log = audit_dir / "audit.jsonl"
    tmpfs = userns_available()
    async with MisbehavingUpstream(rel_chain.url) as up:
        proxy = await ProxyProcess.start(
            upstream=up.url,
            port=free_port(),
            workdir=tmp_path,
            args=["--chain-id", str(CHAIN_ID), "--history", str(FIXTURES / "history.jsonl"), "--audit-log", str(log)],
            wrapper=tmpfs_wrapper(audit_dir, 512) if tmpfs else None,
        )
        try:
            disk = FullDisk(proxy.pid, log, tmpfs=tmpfs)
            await proxy.settle(DRAINER)  # the first analysis of a new process is slow: not this test's
            sent = await proxy.rpc(PLAIN_SEND)
            assert sent["error"]["message"] == "No Signer available" and sends(up) == 1, sent

            disk.fill()
            # The filesystem is full, but the log's last block may still have room: sends are
            # recorded and forwarded until a record does not fit; from then on they are refused.
            for _ in range(50):
                size, before = disk.log.stat().st_size, sends(up)
                reply, elapsed = await timed(proxy.rpc(PLAIN_SEND))
                assert elapsed < ANALYSIS_TIMEOUT + MARGIN
                if "error" in reply and "audit log could not record it" in reply["error"]["message"]:
                    break
                assert reply["error"]["message"] == "No Signer available" and sends(up) == before + 1, reply
                assert disk.log.stat().st_size > size, "forwarded, so recorded"
            else:
                raise AssertionError(f"the full filesystem never refused a record ({disk.how})")
            assert reply["error"]["code"] == 4001 and sends(up) == before, f"refused, not forwarded ({disk.how})"
            full = disk.log.stat().st_size
            assert full == size and disk.log.read_bytes().endswith(b"\n"), "a failed write leaves no partial line"

            read = await proxy.rpc(READ)
            assert read["result"]["number"] == "0x2", "reads are not recorded: they go on"
            blocked = await proxy.rpc(DRAINER)
            assert blocked["error"]["code"] == 4001 and blocked["error"]["data"]["verdict"] == "block"
            refused = await proxy.rpc(HELD)
            assert refused["error"]["code"] == 4001 and "audit log could not record it" in refused["error"]["message"]
            assert await proxy.held() == [], "nothing is held that could not be recorded"
            assert sends(up) == before and disk.log.stat().st_size == full

            disk.free()
            sent = await proxy.rpc(PLAIN_SEND)
            assert sent["error"]["message"] == "No Signer available" and sends(up) == before + 1, sent
            report = assert_log_verifies(disk.log)
            records = audit_records(disk.log)
            assert records[-1]["choice"] == "forwarded" and records[-1]["method"] == "eth_sendTransaction"
            assert [r["choice"] for r in records].count("forwarded") == sends(up), "every send forwarded is on record"
            assert report["notes"] == []
        finally:
            await proxy.stop()


# --- the proxy SIGKILLed while requests are held, then restarted ---------------------------------------------


async def test_the_proxy_killed_with_requests_held_then_restarted(rel_chain: AnvilNode, tmp_path: Path) -> None:
    """A warned request is held; the proxy gets SIGKILL. The wallet's request ends at once with a
    dropped connection (no success, nothing sent); the analysis fork dies with the proxy; the
    log shows the held request and verifies. Started again on the same port and log (with a torn
    tail added, as a power loss would leave), the proxy recovers the log, holds nothing (holds live
    in memory: the wallet asks again), the chain of the log goes on, and the request asked again is
    held again, and rejected."""
    log = tmp_path / "audit.jsonl"
    port = free_port()
    args = ["--chain-id", str(CHAIN_ID), "--history", str(FIXTURES / "history.jsonl"), "--audit-log", str(log)]
    async with MisbehavingUpstream(rel_chain.url) as up:
        proxy = await ProxyProcess.start(upstream=up.url, port=port, workdir=tmp_path, args=args)
        try:
            wallet = asyncio.create_task(timed(proxy.http.post(proxy.url, json=HELD)))
            [held] = await proxy.wait_held()
            assert held["method"] == "eth_sendTransaction"
            read = await proxy.rpc(READ)
            assert read["result"]["number"] == "0x2", "reads pass while a request is held"
            forks = proxy.fork_pids()
            assert forks, "the analysis fork runs"
            proxy.kill()
            killed_at = time.monotonic()
            with pytest.raises(httpx.TransportError):
                await wallet
            assert time.monotonic() - killed_at < MARGIN, "the wallet is not left waiting"
            for pid in forks:
                assert await wait_gone(pid, timeout=MARGIN), f"anvil {pid} outlived the proxy"
            assert sends(up) == 0
        finally:
            await proxy.stop()

        after_kill = audit_verify(log)
        report = json.loads(after_kill.stdout)
        assert after_kill.returncode == 0, "a record is one write(2): SIGKILL cannot cut one short"
        assert audit_records(log)[-1]["choice"] == "held", "the held request is on record"
        seq_at_kill = report["last_seq"]
        # What a power loss could leave (the kernel had half a page): verify says exactly that, and
        # the next start moves the torn bytes aside and records the recovery.
        with log.open("ab") as torn:
            torn.write(b'{"hash":"0e1f')
        out = audit_verify(log)
        assert out.returncode == 5, out.stdout
        [problem] = json.loads(out.stdout)["problems"]
        assert problem["kind"] == "torn-line" and "crash mid-write" in problem["message"], problem

        again = await ProxyProcess.start(upstream=up.url, port=port, workdir=tmp_path, args=args)
        try:
            assert await again.held() == [], "holds do not survive the process"
            wallet = asyncio.create_task(again.http.post(again.url, json=HELD))
            [held] = await again.wait_held()
            await again.decide(held["id"], "reject")
            reply = (await wallet).json()
            assert reply["error"]["code"] == 4001 and "rejected by the user" in reply["error"]["message"]
            read = await again.rpc(READ)
            assert read["result"]["number"] == "0x2"
            sent = await again.rpc(PLAIN_SEND)
            assert sent["error"]["message"] == "No Signer available" and sends(up) == 1
            # A clean stop (SIGTERM) answers what it holds instead of dropping it.
            wallet = asyncio.create_task(again.http.post(again.url, json=HELD))
            await again.wait_held()
        finally:
            assert await again.stop() == 0, again.log()
        reply = (await wallet).json()
        assert reply["error"]["code"] == 4001 and "the proxy shut down" in reply["error"]["message"], reply
        assert not again.control_file.exists(), "a clean stop removes its control file"
    report = assert_log_verifies(log)
    assert report["last_seq"] > seq_at_kill, "one chain across the restart"
    assert [n["kind"] for n in report["notes"]] == ["recovered-torn-write"], report["notes"]
    choices = [r["choice"] for r in audit_records(log)]
    assert choices == ["held", "held", "rejected", "forwarded", "held", "closed"], choices
