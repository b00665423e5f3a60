package main

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// testDir holds what this package's tests share for one run (the studybot binary); TestMain
// removes it when the run ends, however the tests went.
var testDir string

func TestMain(m *testing.M) {
	flag.Parse()
	// Many tests here wait on a process or a timer rather than compute: unless -parallel
	// says otherwise, run four at a time, not one per CPU.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "4")
	}
	dir, err := os.MkdirTemp("", "studybot-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "studybot tests:", err)
		os.Exit(1)
	}
	testDir = dir
	if run := flag.Lookup("test.run"); !testing.Short() && (run == nil || run.Value.String() == "") {
		// Every test runs, the binary's too: build it beside the first ones.
		go buildOnce.Do(buildStudybot)
	}
	code := m.Run()
	buildOnce.Do(func() {}) // a build under way finishes before its directory goes
	os.RemoveAll(dir)
	os.Exit(code)
}
