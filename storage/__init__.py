"""Storage: the engine from DATABASE_URL, table definitions, migrations and repositories.

Nothing outside this package writes SQL. Open everything with :func:`open_store`.
"""

from storage.store import Store, open_store

__all__ = ["Store", "open_store"]
