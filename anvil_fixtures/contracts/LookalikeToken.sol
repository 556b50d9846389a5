// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20Base} from "./ERC20.sol";

/// @notice Address-poisoning / impersonation fixture: "Tether USD" whose symbol is
/// "USD" + U+0422 CYRILLIC CAPITAL LETTER TE, which renders like "USDT".
contract LookalikeToken is ERC20Base {
    constructor() ERC20Base("Tether USD", unicode"USD\u0422", 6) {}
}
