def balance(account):
    raise LookupError(f"no ledger for {account!r}")
