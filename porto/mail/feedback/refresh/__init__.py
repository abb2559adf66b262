"""Update status: one status client per provider over ``base.StatusClient``."""
