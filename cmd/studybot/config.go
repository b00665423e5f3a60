package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/studybot/studybot/adapters/redis"
	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/data"
)

// config is everything studybot reads from its environment (DESIGN.md, Configuration).
type config struct {
	DB          string
	RedisURL    string
	RedisPrefix string
	Zone        *time.Location
	Roadmap     string
	// roadmap is the STUDYBOT_ROADMAP file, loaded and checked with the rest of the
	// configuration; nil means the embedded roadmap.
	roadmap  *bot.Roadmap
	HTTPAddr string
	LogLevel slog.Level
	// BackupDir is where `studybot run` writes a checked hot backup once a day, keeping the
	// newest BackupKeep; empty: no scheduled backups.
	BackupDir  string
	BackupKeep int
	// Retention is how long a community's data outlives the bot's removal from it
	// (STUDYBOT_RETENTION): after it, the daily purge deletes it.
	Retention time.Duration

	DiscordToken      string
	DiscordGuildID    string
	DiscordAPIURL     string
	DiscordShardID    int
	DiscordShardCount int
	// DiscordShardsPerProcess k makes this process run k consecutive shards, from
	// DiscordShardID*k: a StatefulSet pod sets the ID from its index, with no arithmetic.
	DiscordShardsPerProcess int

	SlackBotToken      string
	SlackAppToken      string
	SlackSigningSecret string
	SlackAPIURL        string
}

// Secret-bearing variables: their values are never printed, not even in error messages.
var secrets = []string{"DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}

func (c config) discordEnabled() bool  { return c.DiscordToken != "" }
func (c config) slackSocketMode() bool { return c.SlackBotToken != "" && c.SlackAppToken != "" }
func (c config) slackHTTPMode() bool   { return c.SlackBotToken != "" && c.SlackSigningSecret != "" }
func (c config) anyChatAdapter() bool {
	return c.discordEnabled() || c.slackSocketMode() || c.slackHTTPMode()
}
func (c config) redactedRedisURL() string { return redactURL(c.RedisURL) }

// loadConfig reads and checks every variable at once, so a bad deployment hears about all its
// problems in one go. Each problem is one line naming the variable, never a secret's value.
// What would otherwise fail only when opened (a REDIS_URL go-redis refuses, a malformed
// STUDYBOT_ROADMAP, a STUDYBOT_DB in a missing directory) is checked here too, so it is one
// more line rather than one more restart.
func loadConfig(getenv func(string) string) (config, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	c := config{
		DB:                      dbPath(getenv),
		RedisURL:                get("REDIS_URL"),
		RedisPrefix:             getenv("STUDYBOT_REDIS_PREFIX"),
		Roadmap:                 get("STUDYBOT_ROADMAP"),
		HTTPAddr:                get("STUDYBOT_HTTP_ADDR"),
		DiscordToken:            get("DISCORD_TOKEN"),
		DiscordGuildID:          get("DISCORD_GUILD_ID"),
		DiscordAPIURL:           get("DISCORD_API_URL"),
		SlackBotToken:           get("SLACK_BOT_TOKEN"),
		SlackAppToken:           get("SLACK_APP_TOKEN"),
		SlackSigningSecret:      get("SLACK_SIGNING_SECRET"),
		SlackAPIURL:             get("SLACK_API_URL"),
		Zone:                    time.UTC,
		DiscordShardCount:       1,
		DiscordShardsPerProcess: 1,
		BackupDir:               get("STUDYBOT_BACKUP_DIR"),
		BackupKeep:              7,
		Retention:               bot.DefaultCommunityRetention,
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "studybot:"
	}
	if c.DiscordAPIURL == "" {
		c.DiscordAPIURL = "https://discord.com/api/v9"
	}
	if c.SlackAPIURL == "" {
		c.SlackAPIURL = "https://slack.com/api/"
	}

	checkDB(c.DB, bad)
	checkBackups(&c, get("STUDYBOT_BACKUP_KEEP"), bad)
	if v := get("STUDYBOT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad("STUDYBOT_RETENTION: %q is not a duration (e.g. 720h for 30 days)", v)
		case d < 0:
			bad("STUDYBOT_RETENTION: %q is negative; use 0 to delete a community's data at the first purge after the bot leaves", v)
		default:
			c.Retention = d
		}
	}
	if c.Roadmap != "" {
		// Loaded now, not when the core opens, so a malformed file is one more line here.
		if r, err := data.Load(c.Roadmap); err != nil {
			bad("STUDYBOT_ROADMAP: %s", strings.TrimPrefix(err.Error(), "load roadmap "))
		} else {
			c.roadmap = r
		}
	}
	if c.RedisURL != "" {
		// go-redis's own parser decides, so nothing it would refuse later passes here.
		if err := redis.CheckURL(c.RedisURL); err != nil {
			bad("REDIS_URL: %v", err)
		}
	}
	if strings.ContainsAny(c.RedisPrefix, " \t\n") {
		bad("STUDYBOT_REDIS_PREFIX: must not contain white space")
	}
	if name := get("STUDYBOT_TZ"); name != "" {
		loc, err := bot.LoadZone(name)
		if err != nil {
			bad("STUDYBOT_TZ: %q is not an IANA time zone (e.g. Europe/Berlin, UTC)", name)
		} else {
			c.Zone = loc
		}
	}
	if c.HTTPAddr != "" {
		if _, _, err := splitHTTPAddr(c.HTTPAddr); err != nil {
			bad("%v", err)
		}
	}
	switch level := strings.ToLower(get("STUDYBOT_LOG_LEVEL")); level {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("STUDYBOT_LOG_LEVEL: %q is not one of debug, info, warn, error", level)
	}

	checkAPIURL := func(name, value string) {
		u, err := url.Parse(value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("%s: %q is not an http:// or https:// URL", name, redactURL(value))
		}
	}
	checkAPIURL("DISCORD_API_URL", c.DiscordAPIURL)
	checkAPIURL("SLACK_API_URL", c.SlackAPIURL)

	for _, name := range secrets {
		if v := getenv(name); v != "" && strings.ContainsAny(strings.TrimSpace(v), " \t\r\n") {
			bad("%s: contains white space; paste the value alone", name)
		}
	}
	if c.DiscordGuildID != "" && !isSnowflake(c.DiscordGuildID) {
		bad("DISCORD_GUILD_ID: %q is not a Discord ID (digits only)", c.DiscordGuildID)
	}
	if c.DiscordGuildID != "" && !c.discordEnabled() {
		bad("DISCORD_GUILD_ID: set, but DISCORD_TOKEN is not")
	}
	shardID, shardCount, perProcess := get("DISCORD_SHARD_ID"), get("DISCORD_SHARD_COUNT"), get("DISCORD_SHARDS_PER_PROCESS")
	k := 1
	if perProcess != "" {
		n, err := strconv.Atoi(perProcess)
		if err != nil || n < 1 || n > 64 {
			bad("DISCORD_SHARDS_PER_PROCESS: %q is not a whole number from 1 to 64", perProcess)
		} else {
			k = n
		}
	}
	if shardID != "" || shardCount != "" {
		// Each variable is checked on its own, so two bad values are two lines.
		id, idOK := 0, false
		switch n, err := strconv.Atoi(shardID); {
		case shardID == "":
			bad("DISCORD_SHARD_ID: required with DISCORD_SHARD_COUNT (set both or neither)")
		case err != nil || n < 0:
			bad("DISCORD_SHARD_ID: %q is not a whole number >= 0", shardID)
		default:
			id, idOK = n, true
		}
		count, countOK := 0, false
		switch n, err := strconv.Atoi(shardCount); {
		case shardCount == "":
			bad("DISCORD_SHARD_COUNT: required with DISCORD_SHARD_ID (set both or neither)")
		case err != nil || n < 1:
			bad("DISCORD_SHARD_COUNT: %q is not a whole number >= 1", shardCount)
		default:
			count, countOK = n, true
		}
		switch {
		case !idOK || !countOK:
		case k == 1 && id >= count:
			bad("DISCORD_SHARD_ID: %d must be less than DISCORD_SHARD_COUNT (%d)", id, count)
		case id*k >= count:
			bad("DISCORD_SHARD_ID: %d runs shards from %d, but DISCORD_SHARD_COUNT is %d (with DISCORD_SHARDS_PER_PROCESS=%d)", id, id*k, count, k)
		default:
			c.DiscordShardID, c.DiscordShardCount, c.DiscordShardsPerProcess = id, count, k
		}
	} else if k > 1 {
		bad("DISCORD_SHARDS_PER_PROCESS: needs DISCORD_SHARD_ID and DISCORD_SHARD_COUNT")
	}

	// Slack documents its token prefixes: bot tokens are xoxb-, app-level tokens xapp-.
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		bad("SLACK_BOT_TOKEN: is not a bot token (Slack bot tokens start with xoxb-)")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		bad("SLACK_APP_TOKEN: is not an app-level token (they start with xapp-)")
	}
	switch {
	case c.SlackBotToken == "" && (c.SlackAppToken != "" || c.SlackSigningSecret != ""):
		bad("SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set")
	case c.SlackBotToken != "" && c.SlackAppToken == "" && c.SlackSigningSecret == "":
		bad("SLACK_BOT_TOKEN: set SLACK_APP_TOKEN too (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)")
	}
	if c.SlackSigningSecret != "" && c.HTTPAddr == "" {
		bad("STUDYBOT_HTTP_ADDR: required for Slack HTTP mode (SLACK_SIGNING_SECRET is set)")
	}
	return c, problems
}

// splitHTTPAddr splits STUDYBOT_HTTP_ADDR into its host (empty: every interface) and port.
// The port is a number from 1 to 65535: a service name resolves differently from host to
// host, and 0 (a random port) leaves Slack, probes and `studybot healthcheck` nothing to reach.
func splitHTTPAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if n, errPort := strconv.Atoi(port); err != nil || errPort != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("STUDYBOT_HTTP_ADDR: %q is not host:port with a port from 1 to 65535 (e.g. :8080 or 127.0.0.1:8080)", addr)
	}
	return host, port, nil
}

// checkDB refuses a STUDYBOT_DB that bbolt could never open: its directory must exist (bbolt
// creates the file, not the directories), and the path must not be a directory itself.
func checkDB(path string, bad func(string, ...any)) {
	dir := filepath.Dir(path)
	switch st, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		bad("STUDYBOT_DB: directory %s does not exist (create it, or point STUDYBOT_DB at a file in a directory that does)", dir)
		return
	case err != nil:
		bad("STUDYBOT_DB: directory %s cannot be read: %v", dir, errors.Unwrap(err))
		return
	case !st.IsDir():
		bad("STUDYBOT_DB: %s is not a directory", dir)
		return
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		bad("STUDYBOT_DB: %s is a directory; name the database file, e.g. %s", path, filepath.Join(path, "studybot.db"))
	}
}

// checkBackups refuses a STUDYBOT_BACKUP_DIR that a backup could never be written into,
// discovered now rather than at the first backup a day later, and a STUDYBOT_BACKUP_KEEP
// that is not a count of backups to keep.
func checkBackups(c *config, keep string, bad func(string, ...any)) {
	if keep != "" {
		n, err := strconv.Atoi(keep)
		switch {
		case err != nil || n < 1 || n > 3650:
			bad("STUDYBOT_BACKUP_KEEP: %q is not a whole number from 1 to 3650 (how many daily backups to keep)", keep)
		case c.BackupDir == "":
			bad("STUDYBOT_BACKUP_KEEP: set, but STUDYBOT_BACKUP_DIR is not")
		default:
			c.BackupKeep = n
		}
	}
	if c.BackupDir == "" {
		return
	}
	switch st, err := os.Stat(c.BackupDir); {
	case errors.Is(err, fs.ErrNotExist):
		bad("STUDYBOT_BACKUP_DIR: %s does not exist (create it, on another disk than STUDYBOT_DB if you can)", c.BackupDir)
		return
	case err != nil:
		bad("STUDYBOT_BACKUP_DIR: %s cannot be read: %v", c.BackupDir, errors.Unwrap(err))
		return
	case !st.IsDir():
		bad("STUDYBOT_BACKUP_DIR: %s is not a directory", c.BackupDir)
		return
	}
	probe, err := os.CreateTemp(c.BackupDir, ".studybot-write-test-*")
	if err != nil {
		bad("STUDYBOT_BACKUP_DIR: %s cannot be written: %v", c.BackupDir, errors.Unwrap(err))
		return
	}
	probe.Close()
	os.Remove(probe.Name())
}

// discordShards are the gateway shards this process runs: DiscordShardsPerProcess
// consecutive ones from DiscordShardID*DiscordShardsPerProcess, cut at the shard count.
func (c config) discordShards() []int {
	first := c.DiscordShardID * c.DiscordShardsPerProcess
	var shards []int
	for s := first; s < first+c.DiscordShardsPerProcess && s < c.DiscordShardCount; s++ {
		shards = append(shards, s)
	}
	return shards
}

func isSnowflake(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// redactURL hides a password in a URL so it can appear in logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(unparseable URL with credentials)"
		}
		return s
	}
	return u.Redacted()
}

// dbPath is the bbolt file STUDYBOT_DB names, studybot.db in the working directory when unset.
func dbPath(getenv func(string) string) string {
	if p := strings.TrimSpace(getenv("STUDYBOT_DB")); p != "" {
		return p
	}
	return "studybot.db"
}
