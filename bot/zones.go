package bot

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run ./internal/zonelist zones.txt

//go:embed zones.txt
var zoneNames string

// zoneSpellings maps every zone name, lowercased, to its real spelling, so "us/pacific",
// "gmt" and "america/port-au-prince" find US/Pacific, GMT and America/Port-au-Prince: zone
// names follow no capitalisation rule a program could guess.
var zoneSpellings = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, name := range strings.Split(zoneNames, "\n") {
		if name != "" && !strings.HasPrefix(name, "#") {
			m[strings.ToLower(name)] = name
		}
	}
	return m
})
