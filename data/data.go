// Package data holds studybot's roadmap content and its loader. The back end roadmap is
// embedded, so the binary needs no files; STUDYBOT_ROADMAP can point at a replacement in the
// same format: a directory laid out like roadmap/, or one file holding every topic.
package data

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/studybot/studybot/bot"
	yaml "go.yaml.in/yaml/v3"
)

//go:embed roadmap/*.yaml
var embedded embed.FS

// DefaultName is how the embedded roadmap is named in errors.
const DefaultName = "embedded roadmap"

// MaxSize bounds a custom roadmap, all its files together: the embedded one is a few hundred
// KiB, and a roadmap is read whole into memory at startup.
const MaxSize = 8 << 20

// HeaderFile is the file of a roadmap directory that names the roadmap; every other .yaml
// file in it is one topic, loaded in file-name order.
const HeaderFile = "roadmap.yaml"

// Default returns the embedded back end roadmap.
func Default() (*bot.Roadmap, error) {
	sub, err := fs.Sub(embedded, "roadmap")
	if err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", DefaultName, err)
	}
	return parseDir(sub, "roadmap")
}

// Load reads a custom roadmap: a directory in the embedded layout, or a single file holding
// every topic (the version 2 format, or version 1 with one lesson per topic). Only regular
// files are read, at most MaxSize bytes in all. Every error names the file, the line and the
// reason.
func Load(p string) (*bot.Roadmap, error) {
	info, err := os.Stat(p)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err // the path is in the message already
		}
		return nil, fmt.Errorf("load roadmap %s: %w", p, err)
	}
	if info.IsDir() {
		return parseDir(os.DirFS(p), p)
	}
	src, err := readRegular(os.DirFS(filepath.Dir(p)), filepath.Base(p), p, MaxSize)
	if err != nil {
		return nil, err
	}
	return Parse(p, src)
}

// readRegular reads a regular file of at most limit bytes; name is its path in fsys, shown
// is how errors name it. A FIFO or device is refused before it is opened, so it can neither
// hang startup nor feed it without end.
func readRegular(fsys fs.FS, name, shown string, limit int64) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", shown, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("load roadmap %s: not a regular file (%s)", shown, info.Mode().Type())
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("load roadmap %s: %d bytes, more than the %d a roadmap may have in all", shown, info.Size(), MaxSize)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", shown, err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", shown, err)
	}
	if int64(len(src)) > limit {
		return nil, fmt.Errorf("load roadmap %s: more than the %d bytes a roadmap may have in all", shown, MaxSize)
	}
	return src, nil
}

// The file format, mirrored by these types. Unknown keys are refused (yaml.v3 KnownFields).
type (
	header struct {
		Name string `yaml:"name"`
	}
	singleFile struct {
		Name   string      `yaml:"name"`
		Topics []fileTopic `yaml:"topics"`
	}
	fileTopic struct {
		Slug     string       `yaml:"slug"`
		Title    string       `yaml:"title"`
		Aliases  []string     `yaml:"aliases"`
		Overview string       `yaml:"overview"`
		Lessons  []fileLesson `yaml:"lessons"`

		// Version 1: one lesson per topic, written into the topic itself.
		Lesson    string         `yaml:"lesson"`
		KeyPoints []string       `yaml:"key_points"`
		Resources []fileResource `yaml:"resources"`
		Quiz      []fileQuestion `yaml:"quiz"`
	}
	fileLesson struct {
		Slug      string         `yaml:"slug"`
		Title     string         `yaml:"title"`
		Minutes   int            `yaml:"minutes"`
		Body      string         `yaml:"body"`
		Exercise  string         `yaml:"exercise"`
		KeyPoints []string       `yaml:"key_points"`
		Resources []fileResource `yaml:"resources"`
		Questions []fileQuestion `yaml:"questions"`
		Project   bool           `yaml:"project"`
		DrawsOn   []string       `yaml:"draws_on"`
		Steps     []string       `yaml:"steps"`
		Checklist []string       `yaml:"checklist"`
	}
	fileResource struct {
		Title   string `yaml:"title"`
		URL     string `yaml:"url"`
		Section string `yaml:"section"`
	}
	fileQuestion struct {
		Question string   `yaml:"question"`
		Choices  []string `yaml:"choices"`
		Answer   string   `yaml:"answer"`
		Explain  string   `yaml:"explain"`
	}
)

// v1Minutes is the study time a version 1 lesson is given: it had none of its own, and its
// lessons were a few hundred words.
const v1Minutes = 10

// source is where one topic stands: its file and the path from the file's root to its
// mapping. The node tree is parsed only when an error has to be located, so a roadmap that
// loads cleanly is parsed once.
type source struct {
	name string
	src  []byte
	at   func(root *yaml.Node) *yaml.Node
}

// node is the topic's mapping in its file (an empty node on line 1 if it cannot be found).
func (s source) node() *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(s.src, &doc); err == nil && len(doc.Content) > 0 {
		if n := s.at(doc.Content[0]); n != nil {
			return n
		}
	}
	return &yaml.Node{Line: 1}
}

func fileRoot(root *yaml.Node) *yaml.Node { return root }

// Parse reads a roadmap from one file holding every topic; name is used in errors.
func Parse(name string, src []byte) (*bot.Roadmap, error) {
	var f singleFile
	if err := decode(name, src, &f); err != nil {
		return nil, err
	}
	if strings.TrimSpace(f.Name) == "" {
		return nil, located(name, 1, "the roadmap has no name")
	}
	if len(f.Topics) == 0 {
		return nil, located(name, 1, "no topics")
	}
	topics := make([]bot.Topic, len(f.Topics))
	sources := make([]source, len(f.Topics))
	for i, ft := range f.Topics {
		sources[i] = source{name, src, func(root *yaml.Node) *yaml.Node { return item(valueOf(root, "topics"), i) }}
		t, err := convertTopic(ft, sources[i])
		if err != nil {
			return nil, err
		}
		topics[i] = t
	}
	return build(f.Name, topics, sources)
}

// item is the i-th entry of a sequence node, or nil.
func item(seq *yaml.Node, i int) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return nil
	}
	return seq.Content[i]
}

// parseDir reads a roadmap directory: HeaderFile names it, every other .yaml file is a topic.
// Files are decoded in parallel; errors are reported for the first failing file in name order.
func parseDir(fsys fs.FS, dir string) (*bot.Roadmap, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", dir, err)
	}
	name := path.Base(filepath.ToSlash(dir))
	type file struct {
		shown string
		src   []byte
		topic fileTopic
		err   error
	}
	var (
		files  []*file
		budget int64 = MaxSize
	)
	for _, e := range entries { // ReadDir sorts by file name
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") && !strings.HasSuffix(e.Name(), ".yml") {
			continue
		}
		shown := filepath.Join(dir, e.Name())
		src, err := readRegular(fsys, e.Name(), shown, budget)
		if err != nil {
			return nil, err
		}
		budget -= int64(len(src))
		if e.Name() == HeaderFile {
			var h header
			if err := decode(shown, src, &h); err != nil {
				return nil, err
			}
			if name = strings.TrimSpace(h.Name); name == "" {
				return nil, located(shown, 1, "the roadmap has no name")
			}
			continue
		}
		files = append(files, &file{shown: shown, src: src})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load roadmap %s: no topic files (*.yaml besides %s)", dir, HeaderFile)
	}
	var wg sync.WaitGroup
	work := make(chan *file)
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for f := range work {
				f.err = decode(f.shown, f.src, &f.topic)
			}
		})
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	topics := make([]bot.Topic, 0, len(files))
	sources := make([]source, 0, len(files))
	for _, f := range files {
		if f.err != nil {
			return nil, f.err
		}
		src := source{f.shown, f.src, fileRoot}
		t, err := convertTopic(f.topic, src)
		if err != nil {
			return nil, err
		}
		topics = append(topics, t)
		sources = append(sources, src)
	}
	return build(name, topics, sources)
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type data\.(\w+)`)

// allowedKeys names the keys of each mapping, for the message about an unknown one.
var allowedKeys = map[string]string{
	"header":       "name",
	"singleFile":   "name, topics",
	"fileTopic":    "slug, title, aliases, overview, lessons (version 1: lesson, key_points, resources, quiz)",
	"fileLesson":   "slug, title, minutes, body, exercise, key_points, resources, questions, project, draws_on, steps, checklist",
	"fileQuestion": "question, choices, answer, explain",
	"fileResource": "title, url, section",
}

// decode parses src strictly into v: a key the format does not know is refused.
func decode(name string, src []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	err := dec.Decode(v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return located(name, 1, "the file is empty")
	}
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return located(name, line, "unknown key %q (allowed: %s)", m[2], allowedKeys[m[3]])
	}
	// yaml errors already say "yaml: line N: reason".
	return fmt.Errorf("load roadmap %s: %w", name, err)
}

func located(name string, line int, format string, args ...any) error {
	return fmt.Errorf("load roadmap %s:%d: %s", name, line, fmt.Sprintf(format, args...))
}

// convertTopic turns a file topic into the core's, a version 1 topic into a topic with one
// lesson of the same slug (so its question IDs stay what they were).
func convertTopic(ft fileTopic, src source) (bot.Topic, error) {
	t := bot.Topic{Slug: ft.Slug, Title: ft.Title, Aliases: ft.Aliases, Overview: strings.TrimSpace(ft.Overview)}
	v1 := ft.Lesson != "" || len(ft.Quiz) > 0
	if v1 && len(ft.Lessons) > 0 {
		return t, located(src.name, src.node().Line, "topic %q mixes version 1 keys (lesson, quiz) with lessons", ft.Slug)
	}
	if v1 {
		fl := fileLesson{Slug: ft.Slug, Title: ft.Title, Minutes: v1Minutes, Body: ft.Lesson,
			KeyPoints: ft.KeyPoints, Resources: ft.Resources, Questions: ft.Quiz}
		l, err := convertLesson(fl, src.node, "quiz", src.name, false)
		if err != nil {
			return t, err
		}
		t.Lessons = []bot.Lesson{l}
		return t, nil
	}
	if len(ft.KeyPoints) > 0 || len(ft.Resources) > 0 {
		return t, located(src.name, src.node().Line, "topic %q: key_points and resources belong to its lessons", ft.Slug)
	}
	for j, fl := range ft.Lessons {
		lesson := func() *yaml.Node {
			if n := item(valueOf(src.node(), "lessons"), j); n != nil {
				return n
			}
			return &yaml.Node{Line: 1}
		}
		l, err := convertLesson(fl, lesson, "questions", src.name, true)
		if err != nil {
			return t, err
		}
		t.Lessons = append(t.Lessons, l)
	}
	return t, nil
}

// convertLesson checks the answer letters, which only the file format has, and, for version
// 2, that every question has exactly four distinct choices.
func convertLesson(fl fileLesson, node func() *yaml.Node, questionsKey, name string, v2 bool) (bot.Lesson, error) {
	l := bot.Lesson{Slug: fl.Slug, Title: fl.Title, Minutes: fl.Minutes, Body: strings.TrimSpace(fl.Body),
		Exercise: strings.TrimSpace(fl.Exercise), KeyPoints: fl.KeyPoints,
		Project: fl.Project, DrawsOn: fl.DrawsOn, Steps: fl.Steps, Checklist: fl.Checklist}
	for _, r := range fl.Resources {
		l.Resources = append(l.Resources, bot.Resource{Title: r.Title, URL: r.URL, Section: strings.TrimSpace(r.Section)})
	}
	for j, q := range fl.Questions {
		// Where the question stands, found only when it is refused.
		line := func(key string) int {
			qNode := item(valueOf(node(), questionsKey), j)
			if qNode == nil {
				return node().Line
			}
			if n := valueOf(qNode, key); key != "" && n != nil {
				return n.Line
			}
			return qNode.Line
		}
		answer := strings.ToLower(strings.TrimSpace(q.Answer))
		if len(answer) != 1 || answer[0] < 'a' || int(answer[0]-'a') >= len(q.Choices) {
			return l, located(name, line("answer"), "lesson %q question %d: answer %q must be the letter of one of its %d choices", fl.Slug, j+1, q.Answer, len(q.Choices))
		}
		if v2 && len(q.Choices) != 4 {
			return l, located(name, line(""), "lesson %q question %d: %d choices, a question has exactly 4", fl.Slug, j+1, len(q.Choices))
		}
		l.Questions = append(l.Questions, bot.Question{Text: strings.TrimSpace(q.Question), Choices: q.Choices,
			Answer: int(answer[0] - 'a'), Explain: strings.TrimSpace(q.Explain)})
	}
	return l, nil
}

// build checks the roadmap as a whole and points a refusal at its file and line.
func build(name string, topics []bot.Topic, sources []source) (*bot.Roadmap, error) {
	r, err := bot.NewRoadmap(name, topics)
	if err == nil {
		return r, nil
	}
	var fe *bot.FieldError
	if !errors.As(err, &fe) || fe.Topic < 0 || fe.Topic >= len(sources) {
		return nil, fmt.Errorf("load roadmap %s: %w", name, err)
	}
	src := sources[fe.Topic]
	node := src.node()
	if fe.Lesson >= 0 {
		if lessons := valueOf(node, "lessons"); lessons != nil && fe.Lesson < len(lessons.Content) {
			node = lessons.Content[fe.Lesson]
		}
	}
	field := fe.Field
	if field == "questions" && valueOf(node, "questions") == nil && valueOf(node, "quiz") != nil {
		field = "quiz" // a version 1 topic
	}
	if field == "body" && valueOf(node, "body") == nil && valueOf(node, "lesson") != nil {
		field = "lesson"
	}
	return nil, located(src.name, itemLine(node, field, fe.Item, fe.Key), "%v", err)
}

// itemLine is the line of item i of a list field (i < 0: the field itself), or of key inside
// that item when given, else the mapping's own line when the field is missing.
func itemLine(m *yaml.Node, field string, i int, key string) int {
	v := valueOf(m, field)
	switch {
	case v == nil:
		return m.Line
	case i >= 0 && v.Kind == yaml.SequenceNode && i < len(v.Content):
		if k := valueOf(v.Content[i], key); key != "" && k != nil {
			return k.Line
		}
		return v.Content[i].Line
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j+1] == v {
			return m.Content[j].Line // the key, where a list or block begins
		}
	}
	return v.Line
}

func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Files lists the embedded roadmap's files in load order, for tests and tools.
func Files() []string {
	entries, _ := fs.ReadDir(embedded, "roadmap")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
