"""The PostgreSQL store: the same contract as the SQLite one (``storage.contract``), for
several bot processes on one database. Every SQL string for PostgreSQL lives in this package."""
