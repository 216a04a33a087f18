package database

import "strings"

// splitStatements splits a migration on semicolons. Migrations hold no
// semicolons inside literals, so this is enough and keeps both drivers
// happy (pgx's extended protocol runs one statement per Exec).
func splitStatements(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
