package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
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
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "studybot console: unexpected argument %q (flags: --user NAME, --community NAME)\n", fs.Arg(0))
		return exitConfig
	}
	// An empty name would silently become the defaults: a session meant for another
	// community or learner would change "demo"'s or "you"'s records.
	for _, f := range []struct{ flag, value string }{{"--community", *community}, {"--user", *user}} {
		if strings.TrimSpace(f.value) == "" {
			fmt.Fprintf(e.stderr, "studybot console: %s needs a name\nusage: studybot console [--user NAME] [--community NAME]\n", f.flag)
			return exitConfig
		}
	}
	cfg, ok := loadConfigOrExit(e)
	if !ok {
		return exitConfig
	}
	log := newLogger(e.stderr, max(cfg.LogLevel, slogWarn))
	// The console's clock is real time, moved ahead by :advance so a learner can try a week
	// of streaks in a minute. It resumes where the last console session on this file left
	// it: days already counted must stay in the past.
	clock := bot.NewOffsetClock(nil, 0)
	c, err := openCore(cfg, clock, bot.NewLocalCooldowns(clock), log)
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return openFailure(err)
	}
	defer c.Close()
	if saved, err := c.store.ConsoleClock(); err != nil {
		log.Warn("console clock not restored", "err", err)
	} else if ahead := time.Until(saved); ahead > 0 {
		now := clock.Advance(ahead)
		fmt.Fprintf(e.stdout, "(The console clock resumes where :advance left it last time: %s.)\n", now.UTC().Format("Mon 2006-01-02 15:04 MST"))
	}
	defer func() {
		if err := c.store.SaveConsoleClock(clock.Now()); err != nil {
			log.Warn("console clock not saved", "err", err)
		}
	}()
	stopBackups := serveBackups(ctx, c.store, log)
	defer stopBackups()
	// Cards and exports are written next to the database.
	con, err := newConsole(c, savedClock{clock, c}, e.stdout, console.Options{Community: *community, User: *user, Prompt: isTerminal(e.stdin),
		FilesDir: filepath.Join(filepath.Dir(cfg.DB), "studybot-cards")})
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
// That scheduler sees only console communities' schedules: `:advance 400d` on a production
// file must neither fire nor move a Discord or Slack channel's daily lesson.
func newConsole(c *core, clock console.Clock, out io.Writer, opts console.Options) (*console.Console, error) {
	con, err := console.New(c.bot, clock, out, opts)
	if err != nil {
		return nil, err
	}
	c.posters[bot.PlatformConsole] = con
	sched, err := newScheduler(c, c.store.Only(bot.PlatformConsole))
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

// savedClock writes the console's clock to the database each time :advance moves it, so a
// session that is killed still resumes there; real time passing needs no write, since the
// next session starts at the later of the saved clock and real time.
type savedClock struct {
	*bot.OffsetClock
	c *core
}

// Advance implements console.Clock.
func (s savedClock) Advance(d time.Duration) time.Time {
	t := s.OffsetClock.Advance(d)
	if err := s.c.store.SaveConsoleClock(t); err != nil {
		s.c.log.Warn("console clock not saved", "err", err)
	}
	return t
}
