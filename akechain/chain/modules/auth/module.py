"""The auth module's descriptor: accounts and nonces. It has no messages; the checks every tx passes
before its messages (nonce, fee) are in `akechain.chain.ante`, which joins auth and bank, and their
errors (codes 10-19) are the tx envelope's, in `akechain.chain.tx`."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.auth import genesis
from akechain.chain.modules.auth.keeper import ACCOUNT_PREFIX, Account, get_account
from akechain.chain.modules.auth.params import PARAMS, PARAMS_KEY

MODULE = Module(
    name="auth",
    prefixes=(ACCOUNT_PREFIX, PARAMS_KEY),
    error_codes=range(30, 40),
    params=PARAMS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis),
    tables={ACCOUNT_PREFIX: Account},
    queries={"account": get_account},
)
