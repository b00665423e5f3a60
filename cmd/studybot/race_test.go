//go:build race

package main

// raceEnabled: this test binary was built with -race, so the studybot binary is too.
const raceEnabled = true
