// Package console is studybot in a terminal: the embedded default that needs no token and no
// server, the demo, and the harness end-to-end tests drive. It speaks the same commands as
// every platform, plus console controls that start with ':'.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/studybot/studybot/bot"
)

// Handler answers a request; *bot.Bot is one.
type Handler interface {
	Handle(ctx context.Context, req bot.Request) bot.Response
}

// Clock is the console's time: it tells the time and `:advance` moves it forward.
// *bot.OffsetClock (real time, the default) and *bot.ManualClock (tests) are clocks.
type Clock interface {
	Now() time.Time
	Advance(d time.Duration) time.Time
}

// Console reads command lines from In and writes answers to Out.
type Console struct {
	handler   Handler
	clock     Clock
	out       io.Writer
	community string
	user      string
	prompt    bool
	tick      time.Duration
	filesDir  string
	// OnAdvance runs whenever console time has moved on, with the span it covered, so the
	// scheduler can fire what fell due in between: after `:advance`, and every Tick while
	// time passes on its own. Spans follow each other without gap or overlap.
	OnAdvance func(ctx context.Context, from, to time.Time)

	mu sync.Mutex // serialises writes to out: scheduled posts may arrive from other goroutines

	catchUpMu sync.Mutex   // one catch-up at a time, so spans never overlap
	through   time.Time    // OnAdvance has run up to here
	delivered atomic.Int64 // posts and direct messages printed so far
}

// Channel is the one channel of a console community.
const Channel = "general"

// MaxAdvance bounds one `:advance`, so a typo cannot make the scheduler replay years.
const MaxAdvance = 400 * 24 * time.Hour

// maxLineBytes is the longest input line the console reads as a line; anything longer is
// answered as too long and skipped, never allowed to end the session. No command comes
// close: the core refuses more than bot.MaxInputLen characters.
const maxLineBytes = 64 * 1024

// Options configure a console.
type Options struct {
	Community string // default "demo"
	User      string // default "you"
	Prompt    bool   // print a prompt before each line (for a terminal)
	// Tick is how often Run lets the scheduler catch up with time that passed on its own
	// (default 30s; negative: never, for tests that move time only with :advance).
	Tick time.Duration
	// FilesDir is where the files of answers and posts (cards, exports) are written, each
	// under its own name, the path printed under the answer; it is created (0700) when the
	// first file comes. "": files are not written, and the answer says so.
	FilesDir string
}

// New returns a console that talks to h, moving clock on `:advance`.
func New(h Handler, clock Clock, out io.Writer, opts Options) (*Console, error) {
	if opts.Community == "" {
		opts.Community = "demo"
	}
	if opts.User == "" {
		opts.User = "you"
	}
	if !validName(opts.Community) {
		return nil, fmt.Errorf("console community %q: use 1 to 32 letters, digits, '.', '_' or '-'", opts.Community)
	}
	if !validName(opts.User) {
		return nil, fmt.Errorf("console user %q: use 1 to 32 letters, digits, '.', '_' or '-'", opts.User)
	}
	if opts.Tick == 0 {
		opts.Tick = 30 * time.Second
	}
	return &Console{handler: h, clock: clock, out: out, community: opts.Community, user: opts.User,
		prompt: opts.Prompt, tick: opts.Tick, through: clock.Now(), filesDir: opts.FilesDir}, nil
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

func validName(s string) bool { return namePattern.MatchString(s) }

// Community is the console's community.
func (c *Console) Community() bot.Community {
	return bot.Community{Platform: bot.PlatformConsole, ID: c.community}
}

// Run reads lines until `:quit`, EOF or ctx ends. EOF is a normal end.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	c.printf("studybot console — you are %s in community %q. Try /roadmap next or /roadmap help; :help lists console controls.\n", c.user, c.community)
	lines := make(chan inputLine)
	errs := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(in, 4096)
		for {
			line, err := readLine(r)
			if err != nil {
				errs <- err
				return
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
	}()
	var ticks <-chan time.Time
	if c.tick > 0 {
		ticker := time.NewTicker(c.tick)
		defer ticker.Stop()
		ticks = ticker.C
	}
	prompt := true
	for {
		if c.prompt && prompt {
			c.printf("%s> ", c.user)
		}
		prompt = true
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			if err != io.EOF {
				return fmt.Errorf("console input: %w", err)
			}
			return nil
		case <-ticks:
			before := c.delivered.Load()
			c.catchUp(ctx)
			// Nothing was typed: the prompt on screen still stands, unless a post was
			// printed after it.
			prompt = c.delivered.Load() != before
		case line := <-lines:
			if line.tooLong {
				c.printf("That line is too long: commands are at most %d characters.\n\n", bot.MaxInputLen)
				continue
			}
			if quit := c.Line(ctx, line.text); quit {
				return nil
			}
		}
	}
}

// inputLine is one line of input, or the news that a line was too long to read.
type inputLine struct {
	text    string
	tooLong bool
}

// readLine reads up to the next newline. A line longer than maxLineBytes is read to its end
// and dropped. io.EOF comes only when no text is left; a last line without a newline counts.
func readLine(r *bufio.Reader) (inputLine, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > maxLineBytes {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(buf) > 0 || tooLong):
			return inputLine{text: string(buf), tooLong: tooLong}, nil
		case err != nil:
			return inputLine{}, err
		}
		return inputLine{text: strings.TrimRight(string(buf), "\r\n"), tooLong: tooLong}, nil
	}
}

// catchUp lets the scheduler fire what fell due since it last ran.
func (c *Console) catchUp(ctx context.Context) {
	c.catchUpMu.Lock()
	defer c.catchUpMu.Unlock()
	from, to := c.through, c.clock.Now()
	if !to.After(from) {
		return
	}
	c.through = to
	if c.OnAdvance != nil {
		c.OnAdvance(ctx, from, to)
	}
}

// Line handles one input line and reports whether it asked to quit.
func (c *Console) Line(ctx context.Context, line string) (quit bool) {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		c.printf("Type a command such as /roadmap next, or :help for console controls.\n")
		return false
	case strings.HasPrefix(line, ":"):
		return c.control(ctx, line)
	}
	resp := c.handler.Handle(ctx, bot.Request{
		Community: c.Community(),
		Channel:   Channel,
		UserID:    c.user,
		UserName:  c.user,
		// Every console user administers the console community, its channel and the whole of it.
		Admin:          true,
		CommunityAdmin: true,
		Text:           line,
	})
	c.printf("%s", c.show(resp, c.user))
	return false
}

// show renders r for the terminal: a modal as what to type instead (a terminal shows no
// forms), and the paths of its files, written to FilesDir, under the text. A file meant for
// one user carries their name (streak-ana.png), so several console users never overwrite
// each other's cards.
func (c *Console) show(r bot.Response, user string) string {
	r = bot.WithoutModal(r)
	if len(r.Files) == 0 {
		return Render(r)
	}
	var notes []string
	for _, f := range r.Files {
		path, err := c.writeFile(f, user)
		if err != nil {
			notes = append(notes, fmt.Sprintf("📎 %s could not be saved: %v", fileName(f.Name), err))
			continue
		}
		notes = append(notes, "📎 saved "+path)
	}
	// Render ends with a blank line; the paths go above it.
	return strings.TrimSuffix(Render(r), "\n") + strings.Join(notes, "\n") + "\n\n"
}

// writeFile writes f into FilesDir under its own name, with "-user" before its extension
// unless the name already holds it, and returns its path.
func (c *Console) writeFile(f bot.File, user string) (string, error) {
	if c.filesDir == "" {
		return "", errors.New("this console has no directory for files")
	}
	if err := os.MkdirAll(c.filesDir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", c.filesDir, err)
	}
	name := f.Name
	if user != "" && !strings.Contains(name, user) {
		ext := filepath.Ext(name)
		name = strings.TrimSuffix(name, ext) + "-" + user + ext
	}
	path := filepath.Join(c.filesDir, fileName(name))
	if err := os.WriteFile(path, f.Data, 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// fileName is name with nothing that could lead out of the files directory: path
// separators and control characters become underscores, and "", "." and ".." a plain name.
func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

func (c *Console) control(ctx context.Context, line string) bool {
	word, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch word {
	case ":quit", ":q", ":exit":
		return true
	case ":user":
		if !validName(arg) {
			c.printf("Usage: :user NAME (1 to 32 letters, digits, '.', '_' or '-').\n")
			return false
		}
		c.user = arg
		c.printf("You are now %s.\n", c.user)
	case ":advance":
		d, err := ParseAdvance(arg)
		if err != nil {
			c.printf("Usage: :advance DURATION, %v\n", err)
			return false
		}
		to := c.clock.Advance(d)
		c.printf("⏩ The clock moved %s to %s.\n", arg, to.UTC().Format("Mon 2006-01-02 15:04 MST"))
		c.catchUp(ctx)
	case ":help":
		c.printf("Console controls:\n  :user NAME        speak as someone else\n  :advance DURATION move the clock forward (e.g. 90m, 24h, 3d), firing what falls due\n  :quit             leave (so does end of input)\n")
	default:
		c.printf("Unknown console control %q. :help lists them.\n", clipRunes(word, 20))
	}
	return false
}

// ParseAdvance reads a positive duration: Go's syntax (90m, 1h30m) or whole days (3d).
func ParseAdvance(s string) (time.Duration, error) {
	bad := errors.New("a positive span up to 400d such as 30m, 24h or 3d")
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > int(MaxAdvance/(24*time.Hour)) {
			return 0, bad // checked before multiplying, which could overflow
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 || d > MaxAdvance {
		return 0, bad
	}
	return d, nil
}

// Post prints a scheduled channel post; with DirectMessage it makes the console a
// bot.Poster.
func (c *Console) Post(_ context.Context, ch bot.Channel, r bot.Response) error {
	c.printf("📣 post in #%s (%s):\n%s", ch.ID, ch.Community.ID, c.show(r, ""))
	c.delivered.Add(1)
	return nil
}

// DirectMessage prints a private message to a console user.
func (c *Console) DirectMessage(_ context.Context, _ bot.Community, userID string, r bot.Response) error {
	c.printf("✉️  direct message to %s:\n%s", userID, c.show(r, userID))
	c.delivered.Add(1)
	return nil
}

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format, args...)
}

// emphasis is **bold** or *italic* in lesson Markdown.
var emphasis = regexp.MustCompile(`\*\*([^*\n]+)\*\*|\*([^*\n]+)\*`)

// plainMarkdown shows lesson Markdown in a terminal: code blocks and `code` as written, the
// emphasis markers outside code dropped.
func plainMarkdown(md string) string {
	lines := strings.Split(md, "\n")
	inFence := false
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		// Between backticks is inline code, shown as written: only the parts outside it
		// lose their markers.
		parts := strings.Split(line, "`")
		for j := 0; j < len(parts); j += 2 {
			parts[j] = emphasis.ReplaceAllString(parts[j], "$1$2")
		}
		lines[i] = strings.Join(parts, "`")
	}
	return strings.Join(lines, "\n")
}

// Render turns a response into terminal text; buttons show the command they run.
func Render(r bot.Response) string {
	var b strings.Builder
	if r.Title != "" {
		fmt.Fprintf(&b, "── %s ──\n", r.Title)
	}
	if r.Text != "" {
		text := r.Text
		if r.Markdown {
			text = plainMarkdown(text)
		}
		b.WriteString(text)
		b.WriteString("\n")
	}
	for _, f := range r.Fields {
		if strings.Contains(f.Value, "\n") {
			fmt.Fprintf(&b, "\n%s:\n%s\n", f.Name, indent(f.Value))
		} else {
			fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
		}
	}
	if len(r.Links) > 0 {
		b.WriteString("\nResources:\n")
		for _, l := range r.Links {
			fmt.Fprintf(&b, "  • %s — %s\n", l.Title, l.URL)
			if l.Note != "" {
				fmt.Fprintf(&b, "    %s\n", l.Note)
			}
		}
	}
	if len(r.Buttons) > 0 {
		parts := make([]string, len(r.Buttons))
		for i, btn := range r.Buttons {
			parts[i] = fmt.Sprintf("[%s: /roadmap %s]", btn.Label, btn.Command)
		}
		b.WriteString("\n" + strings.Join(parts, "  ") + "\n")
	}
	var foot []string
	if r.Footer != "" {
		foot = append(foot, r.Footer)
	}
	if r.Ephemeral {
		foot = append(foot, "only you can see this")
	}
	if len(foot) > 0 {
		fmt.Fprintf(&b, "(%s)\n", strings.Join(foot, " · "))
	}
	b.WriteString("\n")
	return b.String()
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
