// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20Base} from "./ERC20.sol";

/// @notice 6-decimal stablecoin fixture with EIP-2612 permit.
contract TestUSD is ERC20Base {
    bytes32 public constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    mapping(address => uint256) public nonces;

    constructor() ERC20Base("Test USD", "USDX", 6) {}

    function version() external pure returns (string memory) {
        return "1";
    }

    /// @notice Computed on every call from block.chainid and address(this).
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(
            abi.encode(_DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256("1"), block.chainid, address(this))
        );
    }

    function permit(
        address holder,
        address spender,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        require(block.timestamp <= deadline, "TestUSD: permit expired");
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, holder, spender, value, nonces[holder]++, deadline));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
        require(uint256(s) <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0, "TestUSD: bad s");
        address signer = ecrecover(digest, v, r, s);
        require(signer != address(0) && signer == holder, "TestUSD: invalid signature");
        _approve(holder, spender, value);
    }
}
