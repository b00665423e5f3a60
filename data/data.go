// Package data holds studybot's roadmap content and its loader. The back end roadmap is
// embedded, so the binary needs no files; STUDYBOT_ROADMAP can point at a replacement in the
// same format.
package data

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/studybot/studybot/bot"
	yaml "go.yaml.in/yaml/v3"
)

//go:embed roadmap.yaml
var backEnd []byte

// DefaultName is how the embedded roadmap is named in errors.
const DefaultName = "embedded roadmap.yaml"

// Default returns the embedded back end roadmap.
func Default() (*bot.Roadmap, error) { return Parse(DefaultName, backEnd) }

// Load reads a roadmap file. Every error names the file, the line and the reason.
func Load(path string) (*bot.Roadmap, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", path, err)
	}
	return Parse(path, src)
}

// file mirrors the YAML format documented in roadmap.yaml.
type file struct {
	Name   string      `yaml:"name"`
	Topics []fileTopic `yaml:"topics"`
}

type fileTopic struct {
	Slug      string         `yaml:"slug"`
	Title     string         `yaml:"title"`
	Aliases   []string       `yaml:"aliases"`
	Lesson    string         `yaml:"lesson"`
	KeyPoints []string       `yaml:"key_points"`
	Resources []bot.Resource `yaml:"resources"`
	Quiz      []fileQuestion `yaml:"quiz"`
}

type fileQuestion struct {
	Question string   `yaml:"question"`
	Choices  []string `yaml:"choices"`
	Answer   string   `yaml:"answer"`
	Explain  string   `yaml:"explain"`
}

// allowed lists the keys each kind of mapping may hold; any other key is a typo worth
// refusing rather than silently ignoring.
var allowed = map[string][]string{
	"root":     {"name", "topics"},
	"topic":    {"slug", "title", "aliases", "lesson", "key_points", "resources", "quiz"},
	"resource": {"title", "url"},
	"question": {"question", "choices", "answer", "explain"},
}

// Parse reads a roadmap from src; name is used in errors.
func Parse(name string, src []byte) (*bot.Roadmap, error) {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("load roadmap %s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		// yaml errors already say "yaml: line N: reason".
		return nil, fmt.Errorf("load roadmap %s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fail(1, "the file is empty")
	}
	root := doc.Content[0]
	if err := checkKeys(root, "root"); err != nil {
		return nil, fmt.Errorf("load roadmap %s:%w", name, err)
	}
	var f file
	if err := root.Decode(&f); err != nil {
		return nil, fmt.Errorf("load roadmap %s: %w", name, err)
	}
	topicsNode := valueOf(root, "topics")
	if topicsNode == nil || len(f.Topics) == 0 {
		return nil, fail(root.Line, "no topics")
	}
	if strings.TrimSpace(f.Name) == "" {
		return nil, fail(root.Line, "the roadmap has no name")
	}
	topics := make([]bot.Topic, len(f.Topics))
	for i, ft := range f.Topics {
		node := topicsNode.Content[i]
		t := bot.Topic{Slug: ft.Slug, Title: ft.Title, Aliases: ft.Aliases, Lesson: strings.TrimSpace(ft.Lesson),
			KeyPoints: ft.KeyPoints, Resources: ft.Resources}
		for j, q := range ft.Quiz {
			answer := strings.ToLower(strings.TrimSpace(q.Answer))
			if len(answer) != 1 || answer[0] < 'a' || int(answer[0]-'a') >= len(q.Choices) {
				line := valueOf(valueOf(node, "quiz").Content[j], "answer")
				at := valueOf(node, "quiz").Content[j].Line
				if line != nil {
					at = line.Line
				}
				return nil, fail(at, "topic %q quiz question %d: answer %q must be the letter of one of its %d choices", ft.Slug, j+1, q.Answer, len(q.Choices))
			}
			t.Quiz = append(t.Quiz, bot.Question{Text: q.Question, Choices: q.Choices, Answer: int(answer[0] - 'a'), Explain: q.Explain})
		}
		if err := bot.ValidateTopic(t); err != nil {
			line := node.Line
			var fe *bot.FieldError
			if errors.As(err, &fe) {
				line = itemLine(node, fe.Field, fe.Item, fe.Key)
			}
			return nil, fail(line, "topic %d %q: %v", i+1, ft.Slug, err)
		}
		topics[i] = t
	}
	r, err := bot.NewRoadmap(f.Name, topics)
	if err != nil {
		line := topicsNode.Line
		var fe *bot.FieldError
		if errors.As(err, &fe) && fe.Topic >= 0 && fe.Topic < len(topicsNode.Content) {
			line = itemLine(topicsNode.Content[fe.Topic], fe.Field, fe.Item, fe.Key)
		}
		return nil, fail(line, "%v", err)
	}
	return r, nil
}

// itemLine is the line of item i of a topic's list field (i < 0: the field itself), or of
// key inside that item when given, else the topic's own line when the field is missing.
func itemLine(topic *yaml.Node, field string, i int, key string) int {
	v := valueOf(topic, field)
	switch {
	case v == nil:
		return topic.Line
	case i >= 0 && v.Kind == yaml.SequenceNode && i < len(v.Content):
		if k := valueOf(v.Content[i], key); key != "" && k != nil {
			return k.Line
		}
		return v.Content[i].Line
	}
	for j := 0; j+1 < len(topic.Content); j += 2 {
		if topic.Content[j+1] == v {
			return topic.Content[j].Line // the key, where a list begins
		}
	}
	return v.Line
}

// checkKeys walks the document and refuses keys the format does not know.
func checkKeys(n *yaml.Node, kind string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%d: expected a mapping for the %s", n.Line, kind)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		ok := false
		for _, k := range allowed[kind] {
			ok = ok || k == key.Value
		}
		if !ok {
			return fmt.Errorf("%d: unknown key %q in %s (allowed: %s)", key.Line, key.Value, kind, strings.Join(allowed[kind], ", "))
		}
		child := map[string]string{"topics": "topic", "resources": "resource", "quiz": "question"}[key.Value]
		if child == "" {
			continue
		}
		if val.Kind != yaml.SequenceNode {
			return fmt.Errorf("%d: %s must be a list", val.Line, key.Value)
		}
		for _, item := range val.Content {
			if err := checkKeys(item, child); err != nil {
				return err
			}
		}
	}
	return nil
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
