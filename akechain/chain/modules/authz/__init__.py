"""Hot keys: an owner lets another key send chosen message types for it, within a spend limit per period, until an expiry."""
