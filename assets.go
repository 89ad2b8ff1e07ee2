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

// OpenAPI is docs/openapi.yaml, the OpenAPI 3.1 description of the JSON
// API (served as JSON at GET /openapi.json by package httpapi).
//
//go:embed docs/openapi.yaml
var OpenAPI []byte

// Configs holds configs/ (calendars, policy, example env files).
//
//go:embed configs
var Configs embed.FS
