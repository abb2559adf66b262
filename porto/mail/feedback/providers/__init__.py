"""One module per provider: mostly a translation table over ``base.Provider``."""
