-- The notes table (the worker also creates it if it is missing).
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  text TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now'))
);
