// Package illhub embeds the files the programs ship with: the database schema,
// the national calendars and the demo dataset's configuration.
package illhub

import (
	"embed"
	_ "embed"
)

// Schema is schema.sql: idempotent DDL for MariaDB 10.11+ and MySQL 8.
//
//go:embed schema.sql
var Schema string

// Configs holds configs/ (calendars, policy, example env files).
//
//go:embed configs
var Configs embed.FS
