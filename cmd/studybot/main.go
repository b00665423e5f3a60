// Command studybot runs the study companion bot: `studybot run` serves every chat adapter the
// environment enables plus the scheduler; `studybot console` is the terminal chat that needs
// no token and no server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on images without a zoneinfo database

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/card"
	"github.com/studybot/studybot/adapters/prometheus"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes: 2 is a configuration or usage problem that no retry will fix; 3 is a damaged
// database, which needs a restore from a backup (README, Backups and restore).
const (
	exitOK      = 0
	exitFail    = 1
	exitConfig  = 2
	exitDamaged = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		// The first signal began a graceful shutdown; from now on the signals' default action
		// is back, so a second SIGTERM or Ctrl-C ends the process at once instead of waiting
		// for what is in flight.
		stop()
	}()
	os.Exit(runMain(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// env is everything a subcommand gets from the process, so tests can run one in-process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func runMain(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	sub := "run"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "run":
		return cmdRun(ctx, e, args)
	case "console":
		return cmdConsole(ctx, e, args)
	case "backup":
		return cmdBackup(ctx, e, args)
	case "check":
		return cmdCheck(ctx, e, args)
	case "healthcheck":
		return cmdHealthcheck(ctx, e, args)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return exitOK
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "studybot: unknown subcommand %q\n", sub)
	usage(stderr)
	return exitConfig
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  studybot [run]                 serve every adapter the environment enables, plus the scheduler
  studybot console [--user NAME] [--community NAME]
                                 chat with studybot in this terminal (no token, no server)
  studybot backup FILE [--force] write a hot, consistent, checked copy of the database to FILE
                                 (an existing FILE is replaced only with --force)
  studybot check FILE            run the consistency check on a database file (exit 0 clean,
                                 3 damaged)
  studybot healthcheck           exit 0 when the studybot serving STUDYBOT_HTTP_ADDR is healthy
  studybot version               print the version
Configuration comes from the environment; see README.md.
`)
}

func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + info.GoVersion
	}
	return "studybot " + v
}

// loadConfigOrExit validates the environment; on problems it prints one line each and
// returns ok=false.
func loadConfigOrExit(e env) (config, bool) {
	cfg, problems := loadConfig(e.getenv)
	if len(problems) > 0 {
		fmt.Fprintln(e.stderr, "studybot: configuration problems:")
		for _, p := range problems {
			fmt.Fprintln(e.stderr, "  "+p)
		}
		return cfg, false
	}
	return cfg, true
}

// loadRoadmap returns the custom roadmap when STUDYBOT_ROADMAP is set (loadConfig has read
// and checked it already), else the embedded one.
func loadRoadmap(cfg config) (*bot.Roadmap, error) {
	if cfg.roadmap != nil {
		return cfg.roadmap, nil
	}
	return embeddedRoadmap()
}

// embeddedRoadmap parses the embedded roadmap once per process. A roadmap is read-only once
// loaded; studybot opens one core, and this package's tests, which open dozens, share the
// parse (a quarter of a second each under -race).
var embeddedRoadmap = sync.OnceValues(data.Default)

// core is what every subcommand that serves users shares: one roadmap, one store, one bot.
type core struct {
	cfg   config
	store *bolt.DB
	bot   *bot.Bot
	clock bot.Clock
	log   *slog.Logger
	mux   *http.ServeMux // routes served on STUDYBOT_HTTP_ADDR
	// posters deliver scheduled posts, by platform; chat adapters register theirs.
	posters map[string]bot.Poster
	// claimer makes one replica win each scheduled post; nil means this process is alone.
	claimer bot.Claimer
	metrics *prometheus.Metrics
	ready   *readiness
}

func openCore(cfg config, clock bot.Clock, cooldowns bot.Cooldowns, log *slog.Logger) (*core, error) {
	roadmap, err := loadRoadmap(cfg)
	if err != nil {
		return nil, err
	}
	metrics := prometheus.New()
	store, err := bolt.Open(cfg.DB, bolt.Options{Logger: log, OnPanic: metrics.StorePanic})
	if errors.Is(err, bolt.ErrDamaged) {
		return nil, damagedError{err: err, db: cfg.DB, backupDir: cfg.BackupDir}
	}
	if err != nil {
		return nil, err
	}
	learners, schedules, err := store.Upgrade(context.Background(), roadmap)
	if err != nil {
		store.Close()
		return nil, err
	}
	if learners+schedules > 0 {
		log.Info("migrated the database to this release's format", "db", cfg.DB, "learners", learners, "schedules", schedules,
			"schema", bot.SchemaVersion)
	}
	b, err := bot.New(bot.Config{Roadmap: roadmap, Store: store, Schedules: store, Cooldowns: cooldowns, Clock: clock,
		DefaultZone: cfg.Zone, Logger: log, Observe: metrics.Observe, Cards: card.Renderer{}})
	if err != nil {
		store.Close()
		return nil, err
	}
	c := &core{cfg: cfg, store: store, bot: b, clock: clock, log: log, mux: http.NewServeMux(),
		posters: map[string]bot.Poster{}, metrics: metrics, ready: &readiness{}}
	c.routeHealth()
	return c, nil
}

func (c *core) Close() error { return c.store.Close() }

// newLogger writes JSON when stderr is not a terminal (a log collector reads it) and text
// otherwise (a person does).
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func cmdBackup(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	force := fs.Bool("force", false, "replace FILE if it exists")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return exitConfig
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "usage: studybot backup FILE [--force]")
		return exitConfig
	}
	// A backup needs only the database: a broken roadmap or token elsewhere in the
	// environment must not stop an operator saving the data.
	db := dbPath(e.getenv)
	switch err := backup(ctx, db, files[0], *force); {
	case errors.Is(err, errBadTarget):
		fmt.Fprintf(e.stderr, "studybot backup: %v\n", strings.TrimPrefix(err.Error(), errBadTarget.Error()+": "))
		return exitConfig
	case errors.Is(err, bolt.ErrDamaged):
		fmt.Fprintf(e.stderr, "studybot: %v\n", damagedError{err: err, db: db, backupDir: strings.TrimSpace(e.getenv("STUDYBOT_BACKUP_DIR"))})
		return exitDamaged
	case err != nil:
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (checked: every page consistent)\n", db, files[0])
	return exitOK
}

// parseInterspersed parses flags wherever they stand among the arguments (`backup FILE
// --force` as well as `backup --force FILE`) and returns the other arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// cmdCheck runs the consistency check on any bbolt file and says what it found.
func cmdCheck(_ context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return exitConfig
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "usage: studybot check FILE")
		return exitConfig
	}
	file := files[0]
	rep, err := bolt.Check(file, 300*time.Millisecond)
	var damaged *bolt.DamagedError
	switch {
	case errors.As(err, &damaged):
		fmt.Fprintf(e.stdout, "%s: damaged; the consistency check found:\n", file)
		for _, p := range damaged.Problems {
			fmt.Fprintf(e.stdout, "  %s\n", p)
		}
		if damaged.More > 0 {
			fmt.Fprintf(e.stdout, "  and %d more\n", damaged.More)
		}
		fmt.Fprintln(e.stdout, "Restore a good backup in its place (see README, Backups and restore).")
		return exitDamaged
	case errors.Is(err, bolt.ErrLocked):
		fmt.Fprintf(e.stderr, "studybot check: %s is held by a running studybot; check a copy instead (studybot backup COPY makes one, and checks it)\n", file)
		return exitFail
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(e.stderr, "studybot check: %s does not exist\n", file)
		return exitConfig
	case err != nil:
		fmt.Fprintf(e.stderr, "studybot check: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "%s: ok; %d pages of %d bytes in use, %d bytes on disk, every page consistent (checked in %s)\n",
		file, rep.Pages, rep.PageSize, rep.Size, rep.Took.Round(time.Microsecond))
	return exitOK
}

// damagedError is a database refused as damaged, as the one line an operator reads: what is
// wrong and how to restore it.
type damagedError struct {
	err       error
	db        string
	backupDir string
}

func (d damagedError) Error() string {
	what := d.err.Error()
	var damaged *bolt.DamagedError
	if errors.As(d.err, &damaged) && len(damaged.Problems) > 0 {
		what = damaged.Problems[0]
		if more := len(damaged.Problems) - 1 + damaged.More; more > 0 {
			what += fmt.Sprintf(" (and %d more problems; studybot check %s lists them)", more, d.db)
		}
	}
	from := "one made earlier with `studybot backup`; set STUDYBOT_BACKUP_DIR for daily ones"
	if d.backupDir != "" {
		from = "the newest in STUDYBOT_BACKUP_DIR=" + d.backupDir + ", or one made with `studybot backup`"
	}
	return fmt.Sprintf("the database %s is damaged: %s. To restore: stop studybot, copy a good backup (%s) over %s, and start studybot again; `studybot check FILE` checks a backup first",
		d.db, what, from, d.db)
}

func (d damagedError) Unwrap() error { return d.err }

// errNoAdapter is the answer to `studybot run` with nothing to run.
var errNoAdapter = errors.New("no chat adapter is configured: set DISCORD_TOKEN, or SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET (see README.md); to try studybot without a server run `studybot console`")
