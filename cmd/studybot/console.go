package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/studybot/studybot/adapters/console"
	"github.com/studybot/studybot/bot"
)

func cmdConsole(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	user := fs.String("user", "you", "who you are in the chat")
	community := fs.String("community", "demo", "which study group you are in")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	cfg, ok := loadConfigOrExit(e)
	if !ok {
		return exitConfig
	}
	log := newLogger(e.stderr, max(cfg.LogLevel, slogWarn))
	// The console's clock starts now and only moves with :advance, so a learner can try a
	// week of streaks in a minute.
	clock := bot.NewManualClock(time.Now())
	c, err := openCore(cfg, clock, bot.NewLocalCooldowns(clock), log)
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return exitConfig
	}
	defer c.Close()
	stopBackups := serveBackups(ctx, c.store, log)
	defer stopBackups()
	con, err := newConsole(c, clock, e.stdout, console.Options{Community: *community, User: *user, Prompt: isTerminal(e.stdin)})
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return exitConfig
	}
	if err := con.Run(ctx, e.stdin); err != nil {
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return exitFail
	}
	return exitOK
}

// newConsole is a console chat over c with the scheduler wired in: the console is the
// console platform's poster, and `:advance` runs the scheduler over the window it skipped,
// so daily lessons and reminders that fell due print as posts and direct messages, in order.
func newConsole(c *core, clock *bot.ManualClock, out io.Writer, opts console.Options) (*console.Console, error) {
	con, err := console.New(c.bot, clock, out, opts)
	if err != nil {
		return nil, err
	}
	c.posters[bot.PlatformConsole] = con
	sched, err := newScheduler(c)
	if err != nil {
		return nil, err
	}
	con.OnAdvance = func(ctx context.Context, from, to time.Time) {
		if err := sched.RunDue(ctx, from, to); err != nil && ctx.Err() == nil {
			c.log.Error("scheduler run failed", "err", err)
		}
	}
	return con, nil
}
