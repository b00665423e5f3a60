package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/studybot/studybot/adapters/bolt"
	"github.com/studybot/studybot/adapters/cron"
	"github.com/studybot/studybot/bot"
)

const slogWarn = slog.LevelWarn

// A service is one long-running part of `studybot run`: a chat adapter, the scheduler, the
// HTTP server. Run blocks until ctx ends (a clean stop returns nil) or the service fails.
// When ctx ends a service stops taking new work and lets commands in flight finish.
type service interface {
	Name() string
	Run(ctx context.Context) error
}

// A chatAdapter builds the services a chat platform contributes when the configuration
// enables it (none otherwise). It may register routes on c.mux and a poster in c.posters.
// Each platform's file registers its own in init, so adding a platform touches no other file.
type chatAdapter func(ctx context.Context, c *core) ([]service, error)

var chatAdapters []chatAdapter

// openFailure is the exit code for a store that would not open: another studybot still
// holding the file (say, the old pod of a rolling update) passes, so that is a failure worth
// retrying; a damaged file needs a restore from a backup; anything else needs the
// configuration fixed.
func openFailure(err error) int {
	switch {
	case errors.Is(err, bolt.ErrLocked):
		return exitFail
	case errors.Is(err, bolt.ErrDamaged):
		return exitDamaged
	}
	return exitConfig
}

func cmdRun(ctx context.Context, e env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "studybot run: unexpected argument %q\n", args[0])
		return exitConfig
	}
	cfg, ok := loadConfigOrExit(e)
	if !ok {
		return exitConfig
	}
	if !cfg.anyChatAdapter() {
		fmt.Fprintf(e.stderr, "studybot: %v\n", errNoAdapter)
		return exitConfig
	}
	log := newLogger(e.stderr, cfg.LogLevel)
	c, closeShared, err := openCoreShared(ctx, cfg, bot.SystemClock{}, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return openFailure(err)
	}
	defer c.Close()
	defer closeShared() // after the services stop: in-flight commands may still check cooldowns
	stopBackups := serveBackups(ctx, c.store, log)
	defer stopBackups()

	services, err := wireServices(ctx, c)
	if err != nil {
		fmt.Fprintf(e.stderr, "studybot: %v\n", err)
		return exitConfig
	}
	if err := runServices(ctx, log, services, shutdownGrace); err != nil {
		log.Error("studybot stopped", "err", err)
		return exitFail
	}
	log.Info("studybot stopped cleanly")
	return exitOK
}

// wireServices builds every service `studybot run` runs over c: each chat adapter the
// configuration enables, the scheduler's ticker, and the HTTP server when STUDYBOT_HTTP_ADDR
// is set. It connects nothing; the services do when they run.
func wireServices(ctx context.Context, c *core) ([]service, error) {
	// The scheduler reads the posters the adapters register below.
	sched, err := newScheduler(c, c.store)
	if err != nil {
		return nil, err
	}
	var services []service
	for _, adapter := range chatAdapters {
		s, err := adapter(ctx, c)
		if err != nil {
			return nil, err
		}
		services = append(services, s...)
	}
	// Every platform served shows its counters at zero from the start, not after its first event.
	for platform := range c.posters {
		c.metrics.Platform(platform)
	}
	ticker, err := cron.New(sched, cron.Options{Clock: c.clock, Logger: c.log})
	if err != nil {
		return nil, err
	}
	services = append(services, ticker)
	if c.cfg.BackupDir != "" {
		backups, err := newBackupJob(c)
		if err != nil {
			return nil, err
		}
		services = append(services, backups)
	}
	purge, err := newPurgeJob(c)
	if err != nil {
		return nil, err
	}
	services = append(services, purge)
	if c.cfg.HTTPAddr != "" {
		services = append(services, &httpService{addr: c.cfg.HTTPAddr, handler: c.mux, log: c.log})
	}
	return services, nil
}

// newScheduler is the core's scheduler over schedules (the store, or a view of it that only
// some platforms' schedules are in), delivering through the platforms' posters in c.posters.
// Replicas share c.claimer (Redis); a studybot alone claims in-process.
func newScheduler(c *core, schedules bot.ScheduleStore) (*bot.Scheduler, error) {
	delivery := cron.NewDelivery(cron.DeliveryOptions{Posters: c.posters, Claimer: c.claimer, Clock: c.clock, Logger: c.log,
		// A post under way at SIGTERM must end inside the shutdown grace, before the store closes.
		PostTimeout: shutdownGrace - 2*time.Second,
		Observe: func(kind bot.ScheduleKind, platform string, err error) {
			c.metrics.ScheduledPost(string(kind), platform, err)
		}})
	return bot.NewScheduler(bot.SchedulerConfig{Bot: c.bot, Store: schedules, Deliverer: delivery, Logger: c.log})
}

// runServices runs every service until ctx ends or one fails; a failure stops the others.
func runServices(ctx context.Context, log *slog.Logger, services []service, grace time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		running = map[string]bool{}
	)
	for _, s := range services {
		wg.Add(1)
		mu.Lock()
		running[s.Name()] = true
		mu.Unlock()
		go func() {
			defer wg.Done()
			log.Info("service starting", "service", s.Name())
			if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				cancel(fmt.Errorf("%s: %w", s.Name(), err))
			}
			mu.Lock()
			delete(running, s.Name())
			mu.Unlock()
		}()
	}
	stopped := make(chan struct{})
	go func() {
		wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		log.Info("shutting down: no new work; finishing what is in flight", "grace", grace.String())
		select {
		case <-stopped:
		case <-time.After(grace):
			mu.Lock()
			stuck := slices.Sorted(maps.Keys(running))
			mu.Unlock()
			return fmt.Errorf("still running %s after shutdown began: %s", grace, strings.Join(stuck, ", "))
		}
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// shutdownGrace is how long commands in flight get to finish after SIGTERM.
const shutdownGrace = 10 * time.Second

// httpService serves c.mux on STUDYBOT_HTTP_ADDR: Slack's HTTP mode, health and metrics.
type httpService struct {
	addr    string
	handler http.Handler
	log     *slog.Logger
}

func (h *httpService) Name() string { return "http" }

func (h *httpService) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", h.addr, err)
	}
	srv := &http.Server{
		Handler:           h.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errs := make(chan error, 1)
	go func() { errs <- srv.Serve(ln) }()
	h.log.Info("http listening", "addr", ln.Addr().String())
	select {
	case err := <-errs:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	// Requests in flight (Slack commands among them) finish; new connections are refused.
	// Whatever is still open after the server's share of the grace (a client trickling its
	// headers or body) is closed: it must not hold the shutdown for the whole grace.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		h.log.Warn("http: connections still open after their share of the shutdown grace; closing them",
			"waited", httpShutdownGrace.String())
		srv.Close()
	}
	return nil
}

// httpShutdownGrace is the HTTP server's share of shutdownGrace. A Slack command is answered
// in its acknowledgement within 2 s, so this is ample for every request worth waiting for,
// and it leaves the rest of the grace to the services behind the server.
const httpShutdownGrace = shutdownGrace / 2
