package discord_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain lets more of this package's parallel tests run at once than the default of one
// per CPU, unless -parallel says otherwise: a test here mostly waits (stopping an adapter
// waits out discordgo's one-second close handshake), so on a 2-CPU machine the default
// would queue them two by two.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}
