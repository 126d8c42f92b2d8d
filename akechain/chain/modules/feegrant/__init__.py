"""Fee allowances: an owner pays a hot key's tx fees, up to a total, so the hot key holds no funds."""
