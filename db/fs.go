// Package db embeds the schema migrations so the admit binary carries them:
// `admit migrate up` needs no files beside it.
package db

import "embed"

// Migrations holds the numbered goose migrations under migrations/.
//
//go:embed migrations/*.sql
var Migrations embed.FS
