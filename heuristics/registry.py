"""The explicit list of built-in rules, plus third-party rules from the ``txfirewall.rules``
entry-point group. Adding a rule means adding it here (or shipping a plugin), never touching
the pipeline."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from txfirewall.heuristics.approvals import (
    approval_to_eoa,
    unlimited_approval_to_eoa,
    unlimited_approval_to_unfamiliar_contract,
)
from txfirewall.heuristics.baseline import unusual_for_you
from txfirewall.heuristics.batches import approval_burns_gas, bulk_unlimited_approvals, oversized_call_batch
from txfirewall.heuristics.calldata import ambiguous_selector, call_tree_truncated, undecodable_calldata_to_contract
from txfirewall.heuristics.chain_state import stale_chain_state
from txfirewall.heuristics.code_changes import (
    account_delegation_set,
    ownership_to_plain_account,
    ownership_transferred,
    proxy_upgraded,
)
from txfirewall.heuristics.contract_age import fresh_contract_counterparty
from txfirewall.heuristics.contract_code import (
    delegatecall_to_arbitrary_target,
    drainer_shape_spender,
    minimal_proxy_to_flagged_implementation,
    selfdestruct_in_counterparty,
)
from txfirewall.heuristics.counterparties import illicit_counterparty
from txfirewall.heuristics.delegates import (
    delegate_sweeper_shape,
    delegation_to_known_sweeper,
    delegation_to_unknown_code,
)
from txfirewall.heuristics.delegation import (
    delegation_any_chain,
    overwrites_existing_delegation,
    unprotected_raw_transaction,
)
from txfirewall.heuristics.login import siwe_domain_mismatch
from txfirewall.heuristics.orders import order_for_nothing, order_paid_in_unknown_token
from txfirewall.heuristics.origin import (
    origin_confusable_characters,
    origin_imitates_known_site,
    origin_lookalike_of_used_site,
    origin_on_blocklist,
)
from txfirewall.heuristics.poisoning import address_poisoning_lookalike, most_of_balance_to_new_address
from txfirewall.heuristics.proximity import counterparty_graph_risk, counterparty_near_illicit
from txfirewall.heuristics.recipients import (
    calldata_to_eoa,
    send_to_burn_address,
    tokens_to_protocol_contract,
    tokens_to_token_contract,
)
from txfirewall.heuristics.rule import Rule
from txfirewall.heuristics.safe import safe_delegatecall_unknown_target, safe_funds_leave_via_delegatecall
from txfirewall.heuristics.sanity import (
    broken_address_checksum,
    creation_without_code,
    excessive_fee,
    gas_limit_below_minimum,
)
from txfirewall.heuristics.scam_calls import value_to_scam_selector
from txfirewall.heuristics.signing import (
    chain_id_mismatch,
    eth_sign_raw_hash,
    opaque_message_signature,
    unanalysed_signing_request,
)
from txfirewall.heuristics.simulation import (
    analysis_stage_failed,
    simulation_divergence,
    simulation_reverted,
    simulation_unavailable,
)
from txfirewall.heuristics.tokens import lookalike_token_symbol
from txfirewall.heuristics.transfers import assets_to_unfamiliar_contract, first_transfer_to_address
from txfirewall.heuristics.typed_data import (
    deceptive_typed_data_domain,
    permit2_batch_to_unknown_spender,
    permit_owner_not_signer,
    permit_to_eoa,
    permit_to_unfamiliar_spender,
    typed_data_chain_mismatch,
)

BUILTIN_RULES: tuple[Rule[Any], ...] = (
    eth_sign_raw_hash,
    chain_id_mismatch,
    unanalysed_signing_request,
    opaque_message_signature,
    unlimited_approval_to_eoa,
    approval_to_eoa,
    unlimited_approval_to_unfamiliar_contract,
    value_to_scam_selector,
    order_for_nothing,
    lookalike_token_symbol,
    assets_to_unfamiliar_contract,
    first_transfer_to_address,
    address_poisoning_lookalike,
    most_of_balance_to_new_address,
    illicit_counterparty,
    counterparty_near_illicit,
    counterparty_graph_risk,
    simulation_reverted,
    simulation_divergence,
    account_delegation_set,
    proxy_upgraded,
    ownership_transferred,
    simulation_unavailable,
    analysis_stage_failed,
    stale_chain_state,
    typed_data_chain_mismatch,
    permit_to_eoa,
    permit_to_unfamiliar_spender,
    deceptive_typed_data_domain,
    permit2_batch_to_unknown_spender,
    delegation_any_chain,
    unprotected_raw_transaction,
    ambiguous_selector,
    undecodable_calldata_to_contract,
    call_tree_truncated,
    siwe_domain_mismatch,
    fresh_contract_counterparty,
    origin_on_blocklist,
    origin_imitates_known_site,
    origin_confusable_characters,
    origin_lookalike_of_used_site,
    send_to_burn_address,
    tokens_to_token_contract,
    tokens_to_protocol_contract,
    calldata_to_eoa,
    broken_address_checksum,
    excessive_fee,
    gas_limit_below_minimum,
    creation_without_code,
    bulk_unlimited_approvals,
    oversized_call_batch,
    approval_burns_gas,
    ownership_to_plain_account,
    permit_owner_not_signer,
    delegation_to_known_sweeper,
    delegate_sweeper_shape,
    delegation_to_unknown_code,
    selfdestruct_in_counterparty,
    delegatecall_to_arbitrary_target,
    drainer_shape_spender,
    minimal_proxy_to_flagged_implementation,
    unusual_for_you,
    order_paid_in_unknown_token,
    overwrites_existing_delegation,
    safe_delegatecall_unknown_target,
    safe_funds_leave_via_delegatecall,
)

ENTRY_POINT_GROUP = "txfirewall.rules"


def load_rules(*, plugins: bool = True) -> tuple[Rule[Any], ...]:
    """Built-in rules, then plugin rules; duplicate ids are an error, not a silent override."""
    rules = list(BUILTIN_RULES)
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            loaded = ep.load()
            rules.extend(loaded if isinstance(loaded, (list, tuple)) else [loaded])
    seen: set[str] = set()
    for r in rules:
        if not isinstance(r, Rule):
            raise TypeError(f"{r!r} is not a txfirewall rule")
        if r.id in seen:
            raise ValueError(f"two rules share the id {r.id!r}")
        seen.add(r.id)
    return tuple(rules)
