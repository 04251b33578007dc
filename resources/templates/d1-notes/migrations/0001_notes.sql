-- The notes table.
CREATE TABLE notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  text TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now'))
);
