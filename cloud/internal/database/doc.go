// Package database opens the cloud's SQL database (SQLite through
// mattn/go-sqlite3 or PostgreSQL through pgx's database/sql driver) and
// applies the append-only schema migrations, each in its own transaction
// with its version recorded (DESIGN.md §8). Migrations use SQL that both
// engines accept: TEXT ids (ULIDs), TEXT UTC timestamps, INTEGER booleans.
// On PostgreSQL, Migrate holds a session advisory lock so cloud nodes
// starting together migrate one after the other, and a process's pool is
// bounded (PostgresMaxConns).
package database
