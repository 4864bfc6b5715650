"""State in SQLite: opening and migrating the database, the tables, and the queue — the only code that changes a file's status."""
