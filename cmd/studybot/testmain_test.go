package main

import (
	"fmt"
	"os"
	"testing"
)

// testDir holds what this package's tests share for one run (the studybot binary); TestMain
// removes it when the run ends, however the tests went.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "studybot-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "studybot tests:", err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
