// Package bot is studybot's core: the command grammar, roadmap progress, streak rules,
// quizzes and cooldowns. It uses the standard library only and reaches storage, time,
// cooldowns and chat platforms through the small interfaces in ports.go.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// Request is one command from a chat user, already turned platform-neutral by an adapter.
type Request struct {
	Community Community // the platform and its guild ID, team ID or console community name
	Channel   string
	UserID    string
	UserName  string // shown on the leaderboard
	Admin     bool   // the platform says this user may manage the community's channels
	// CommunityAdmin: the platform says this user administers the whole community: Discord
	// Manage Server or Administrator; Slack workspace admin/owner of this workspace or org.
	// Only such a user may change what holds for the whole community (its time zone).
	CommunityAdmin bool
	ProfileZone    string // the platform profile's time zone, used when the learner set none
	Text           string // the command line, with or without the leading "/roadmap"
}

// Config wires the core to its ports.
type Config struct {
	Roadmap *Roadmap
	Store   Store
	// Schedules keeps the daily lessons and reminders that nudge and remind set. Nil: the
	// Store, when it keeps schedules too (bbolt does); else those commands are unavailable.
	Schedules   ScheduleStore
	Cooldowns   Cooldowns      // nil: in-process cooldowns on Clock
	Clock       Clock          // nil: the system clock
	DefaultZone *time.Location // nil: UTC
	Logger      *slog.Logger   // nil: slog.Default()
	// Intn returns a random number in [0, n): which quiz question and which order of its
	// choices to show. Nil: math/rand/v2. Tests make it predictable.
	Intn func(n int) int
	// Observe, when set, is told about every handled command and how long it took (metrics).
	Observe func(req Request, resp Response, took time.Duration)
	// Cards draws the streak and progress cards that streak, progress and milestone check-ins
	// attach. Nil: those answers are text only.
	Cards CardRenderer
}

// Bot answers commands. It is safe for concurrent use.
type Bot struct {
	roadmap     *Roadmap
	store       Store
	cooldowns   Cooldowns
	clock       Clock
	defaultZone *time.Location
	log         *slog.Logger
	observe     func(Request, Response, time.Duration)
	intn        func(n int) int
	schedules   ScheduleStore
	cards       CardRenderer
}

// New checks the configuration and returns a ready core.
func New(cfg Config) (*Bot, error) {
	if cfg.Roadmap == nil || cfg.Store == nil {
		return nil, errors.New("bot: a roadmap and a store are required")
	}
	b := &Bot{
		roadmap:     cfg.Roadmap,
		store:       cfg.Store,
		cooldowns:   cfg.Cooldowns,
		clock:       cfg.Clock,
		defaultZone: cfg.DefaultZone,
		log:         cfg.Logger,
		observe:     cfg.Observe,
		intn:        cfg.Intn,
		schedules:   cfg.Schedules,
		cards:       cfg.Cards,
	}
	if b.schedules == nil {
		b.schedules, _ = cfg.Store.(ScheduleStore)
	}
	if b.intn == nil {
		b.intn = rand.IntN
	}
	if b.clock == nil {
		b.clock = SystemClock{}
	}
	if b.cooldowns == nil {
		b.cooldowns = NewLocalCooldowns(b.clock)
	}
	if b.defaultZone == nil {
		b.defaultZone = time.UTC
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	return b, nil
}

// Roadmap is the roadmap the core teaches.
func (b *Bot) Roadmap() *Roadmap { return b.roadmap }

// Handle answers one request. It always returns something to show: bad input and refusals
// become a short private answer, and an internal failure is logged and answered with an
// apology that reveals nothing.
//
// A panic while answering (a bug, or a store that broke mid-command) is recovered here, so
// every platform gets the same: it is logged with its stack, observed with the outcome
// OutcomePanic, answered with an apology, and other commands carry on.
func (b *Bot) Handle(ctx context.Context, req Request) (resp Response) {
	began := time.Now() // latency is real time, whatever clock the rules run on
	var cmd Command
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("command panicked", "platform", req.Community.Platform, "community", req.Community.ID,
				"command", cmd.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			resp = Response{Text: "Something went wrong on our side. Please try again in a moment.",
				Ephemeral: true, Tone: ToneError, Outcome: OutcomePanic}
		}
		resp.Command = cmd.Name
		if b.observe != nil {
			b.observe(req, resp, time.Since(began))
		}
	}()
	cmd, err := ParseCommand(req.Text)
	if err == nil {
		cmd, err = b.admit(ctx, req, cmd)
	}
	if err == nil {
		err = b.spend(ctx, req, cmd)
	}
	if err == nil {
		resp, err = b.dispatch(ctx, req, cmd)
	}
	if err != nil {
		resp = b.failure(req, cmd, err)
	} else {
		resp.Outcome = OutcomeOK
	}
	return resp
}

// admit checks who is asking and that what they named exists, before any cooldown is spent:
// a mistyped topic, question or zone changes nothing, not even the learner's cooldown. The
// command it returns carries the resolved topic, so handlers need not match it again.
func (b *Bot) admit(ctx context.Context, req Request, cmd Command) (Command, error) {
	if err := req.Community.Validate(); err != nil {
		return cmd, fmt.Errorf("request from adapter: %w", err)
	}
	if req.UserID == "" {
		return cmd, errors.New("request from adapter: no user id")
	}
	v, _ := lookupVerb(cmd.Name)
	if v.Admin && !req.Admin && !req.CommunityAdmin {
		return cmd, Errorf(EFORBIDDEN, "Only community admins can set up or view the daily lesson post (%s).", adminHint(req.Community.Platform))
	}
	if cmd.Target != "" {
		m, err := b.resolve(cmd.Name, cmd.Target)
		if err != nil {
			return cmd, err
		}
		cmd.target, cmd.forgiven = &m.Target, m.Forgiven
	}
	if cmd.Name == "answer" {
		if q, err := b.question(cmd.Question); err != nil {
			return cmd, err
		} else if cmd.Choice >= len(q.Choices) {
			return cmd, Errorf(EINVALID, "Question %s has choices a to %c.", q.ID, 'a'+rune(len(q.Choices)-1))
		} else if cmd.Order >= factorial(len(q.Choices)) {
			return cmd, Errorf(EINVALID, "%s/%d is not a question ID. Use the ID the quiz shows, like %s/7.", q.ID, cmd.Order, q.ID)
		}
	}
	if cmd.Zone != "" {
		if _, err := LoadZone(cmd.Zone); err != nil {
			return cmd, err
		}
	}
	return cmd, nil
}

// spend takes one use of the learner's budget for the command's class (shared by every
// command of the class), or says how long to wait.
func (b *Bot) spend(ctx context.Context, req Request, cmd Command) error {
	class := cooldownClass(cmd)
	wait, err := b.cooldowns.Allow(ctx, cooldownKey(req.Community, req.UserID, class), CooldownLimits[class])
	if err != nil {
		// A broken cooldown backend must not lock every learner out.
		b.log.Warn("cooldown check failed; letting the command through", "err", err)
		return nil
	}
	if wait > 0 {
		what := cmd.Name
		if cmd.Name == "nudge" {
			what += " " + cmd.Sub // nudge status and nudge set spend different budgets
		}
		return Errorf(ECOOLDOWN, "Easy there! Try /roadmap %s again in %s.", what, humanWait(wait))
	}
	return nil
}

func adminHint(platform string) string {
	switch platform {
	case PlatformDiscord:
		return "Manage Server or Manage Channels"
	case PlatformSlack:
		return "workspace admins and owners"
	}
	return "admins only"
}

func humanWait(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs <= 1 {
		return "1 second"
	}
	if secs < 120 {
		return fmt.Sprintf("%d seconds", secs)
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
}

func (b *Bot) failure(req Request, cmd Command, err error) Response {
	code := ErrorCode(err)
	msg := err.Error()
	if code == EINTERNAL {
		b.log.Error("command failed", "platform", req.Community.Platform, "community", req.Community.ID,
			"command", cmd.Name, "err", err)
		msg = "Something went wrong on our side; nothing was changed. Please try again in a moment."
	}
	return Response{Text: msg, Ephemeral: true, Tone: ToneError, Outcome: code}
}

func (b *Bot) dispatch(ctx context.Context, req Request, cmd Command) (Response, error) {
	c := req.Community
	switch cmd.Name {
	case "help":
		return b.help(), nil
	case "next":
		return b.next(ctx, c, req)
	case "topics":
		return b.topics(ctx, c, req)
	case "topic":
		return b.topic(ctx, c, req, cmd)
	case "lesson":
		return b.lesson(ctx, c, req, cmd)
	case "start", "done", "skip", "reset":
		return b.changeState(ctx, c, req, cmd)
	case "progress":
		return b.progress(ctx, c, req)
	case "checkin":
		return b.checkin(ctx, c, req)
	case "streak":
		return b.streak(ctx, c, req)
	case "quiz":
		return b.quiz(ctx, c, req, cmd)
	case "answer":
		return b.answer(ctx, c, req, cmd)
	case "review":
		return b.review(ctx, c, req, cmd)
	case "leaderboard":
		return b.leaderboard(ctx, c)
	case "note":
		return b.note(ctx, c, req, cmd)
	case "notes":
		return b.notes(ctx, c, req, cmd)
	case "export":
		return b.export(ctx, c, req)
	case "forget":
		return b.forget(ctx, c, req, cmd)
	case "timezone":
		return b.timezone(ctx, c, req, cmd)
	case "nudge", "remind":
		if b.schedules == nil {
			break
		}
		if cmd.Name == "nudge" {
			return b.nudge(ctx, req, cmd)
		}
		return b.remind(ctx, req, cmd)
	}
	return Response{}, Errorf(EINVALID, "/roadmap %s is not available on this studybot.", cmd.Name)
}

// communityZone is the day boundary of the community: the zone an admin set with a nudge,
// else the configured default. It is read outside any write transaction (bbolt must not open
// a read inside a write on one goroutine).
func (b *Bot) communityZone(ctx context.Context, c Community) *time.Location {
	if s, err := b.store.Settings(ctx, c); err == nil && s.Zone != "" {
		if loc, err := LoadZone(s.Zone); err == nil {
			return loc
		}
	}
	return b.defaultZone
}

// learnerZone is a learner's day boundary: the zone they set themselves, else the platform
// profile's zone this request carries, else the last profile zone seen on their record (so a
// failed profile lookup or a command with no profile at hand, such as the leaderboard or a
// reminder, keeps their day where it was), else the community's.
func learnerZone(l *Learner, profileZone string, community *time.Location) *time.Location {
	if loc := ownZone(l, profileZone); loc != nil {
		return loc
	}
	return community
}

// ownZone is the learner's zone when they or their profile give one, else nil.
func ownZone(l *Learner, profileZone string) *time.Location {
	for _, name := range [...]string{l.Zone, profileZone, l.ProfileZone} {
		if name == "" {
			continue
		}
		if loc, err := LoadZone(name); err == nil {
			return loc
		}
	}
	return nil
}

// Zone is the learner's day boundary: their own setting, else their platform profile's
// (from this request or, failing that, the last one seen), else the community's, else the
// configured default. The community's settings are read only when needed.
func (b *Bot) Zone(ctx context.Context, c Community, l *Learner, profileZone string) *time.Location {
	if loc := ownZone(l, profileZone); loc != nil {
		return loc
	}
	return b.communityZone(ctx, c)
}

// loadedZones caches zones by their canonical name: time.LoadLocation parses the zone data
// on every call, and every command needs its learner's zone. Only canonical names are keys,
// so the cache is bounded by the zone database whatever spellings learners type.
var loadedZones sync.Map // string -> *time.Location

// LoadZone resolves an IANA zone name, forgiving case ("europe/berlin"). "Local" and the
// empty name are refused: a learner's day must not depend on where the server runs.
func LoadZone(name string) (*time.Location, error) {
	if loc, ok := loadedZones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	bad := Errorf(EINVALID, "Unknown time zone %q. Use an IANA name like Europe/Berlin, America/New_York or UTC.", clip(name, 40))
	lower := strings.ToLower(name)
	// Local follows the server; Factory, posixrules and the right/ and posix/ copies are files
	// of the zone database, not places a learner lives.
	if name == "" || lower == "local" || lower == "factory" || lower == "posixrules" ||
		strings.HasPrefix(lower, "right/") || strings.HasPrefix(lower, "posix/") ||
		len(name) > 64 || strings.Contains(name, "..") {
		return nil, bad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		spelled, ok := zoneSpellings()[lower]
		if !ok {
			return nil, bad
		}
		if loc, err = time.LoadLocation(spelled); err != nil {
			return nil, bad
		}
	}
	if loc.String() == name {
		loadedZones.Store(name, loc)
	}
	return loc, nil
}

// update runs fn on the learner's record in one transaction and keeps their display name
// fresh for the leaderboard.
func (b *Bot) update(ctx context.Context, c Community, req Request, fn func(*Learner) error) error {
	now := b.clock.Now()
	moved := false
	err := b.store.UpdateLearner(ctx, c, req.UserID, func(l *Learner) error {
		moved = false
		b.roadmap.Upgrade(l)
		if err := fn(l); err != nil {
			return err
		}
		l.Version, l.UserID, l.Updated = SchemaVersion, req.UserID, now.UTC()
		if zone, changed := profileZoneChange(l, req.ProfileZone); zone != "" {
			moved = changed
			l.ProfileZone = zone
		}
		if req.UserName != "" {
			l.Name = clip(req.UserName, 40)
		}
		return nil
	})
	if err == nil && moved {
		// The day boundary a reminder follows moved with the profile.
		b.followProfileZone(ctx, c, req.UserID)
	}
	return err
}

// resolve turns typed text into what the command acts on (a topic for topic, a lesson for
// lesson, either for the others), or a not-found error with suggestions.
func (b *Bot) resolve(verb, text string) (Match, error) {
	what, m := "lesson or topic", Match{}
	switch verb {
	case "topic":
		what, m = "topic", b.roadmap.MatchTopic(text)
	case "lesson":
		what, m = "lesson", b.roadmap.MatchLesson(text)
	default:
		m = b.roadmap.MatchAny(text)
	}
	if m.Found {
		if t := m.Target.Topic; t != nil && verb != "topic" && len(t.Lessons) == 1 && t.Lessons[0].Slug == t.Slug {
			m.Target = Target{Lesson: &t.Lessons[0]} // a version 1 topic is its one lesson
		}
		return m, nil
	}
	if len(m.Suggestions) > 0 {
		var names []string
		for _, s := range m.Suggestions {
			if len(names) < 3 && !slices.Contains(names, s.Slug()) {
				names = append(names, s.Slug())
			}
		}
		return m, Errorf(ENOTFOUND, "No %s matches %q. Did you mean %s?", what, clip(text, 40), strings.Join(names, ", "))
	}
	hint := "/roadmap topics lists the topics; /roadmap topic <name> lists a topic's lessons."
	return m, Errorf(ENOTFOUND, "No %s matches %q. %s", what, clip(text, 40), hint)
}

// question finds a quiz question by its ID, or says there is none.
func (b *Bot) question(id string) (*Question, error) {
	q, ok := b.roadmap.Question(id)
	if !ok {
		if cut := strings.LastIndexByte(id, '-'); cut > 0 {
			_, topic := b.roadmap.Topic(id[:cut])
			_, lesson := b.roadmap.Lesson(id[:cut])
			if topic && !lesson && strings.Trim(id[cut+1:], "0123456789") == "" {
				// A button from before topics were made of lessons: its question is gone.
				return nil, Errorf(ENOTFOUND, "Question %s is from an earlier version of the roadmap. /roadmap quiz %s gives you one of today's.", clip(id, 40), id[:cut])
			}
		}
		return nil, Errorf(ENOTFOUND, "There is no question %q. Use the ID the quiz shows, like caching-http-headers-2/7; /roadmap quiz gives you one.", clip(id, 40))
	}
	return q, nil
}

// studyToday records study for the learner's local today (see Streak.Today: a day counts
// only once the day last counted has ended where it was counted); profileZone and community
// are what the request and the community say when the learner set no zone of their own;
// what was done shades the day in the streak card.
func (b *Bot) studyToday(l *Learner, profileZone string, community *time.Location, what Activity) StudyResult {
	var res StudyResult
	l.Streak, res = l.Streak.Study(b.clock.Now(), learnerZone(l, profileZone, community), what)
	return res
}
