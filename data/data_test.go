package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validTopic is one well-formed topic in the file format; tests break one thing at a time.
const validTopic = `  - slug: caching
    title: Caching
    aliases: [cache]
    lesson: |
      Keep answers close to where they are needed.
    key_points:
      - Every cache needs an invalidation story.
    resources:
      - title: MDN HTTP caching
        url: https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching
      - title: RFC 9111
        url: https://www.rfc-editor.org/rfc/rfc9111
    quiz:
      - question: What does a TTL bound?
        choices: [How long an entry is served, The key size, The port]
        answer: a
        explain: After the TTL the entry is stale.
      - question: Which header tells a browser how long to cache?
        choices: [Host, Cache-Control, Accept]
        answer: b
        explain: Cache-Control carries max-age.
      - question: What is a cache miss?
        choices: [A hit, A bug, The value was not in the cache]
        answer: c
        explain: A miss falls through to the origin.
`

func TestParseAcceptsAWellFormedRoadmap(t *testing.T) {
	r, err := Parse("good.yaml", []byte("name: Test\ntopics:\n"+validTopic))
	if err != nil {
		t.Fatal(err)
	}
	topic, q, ok := r.Question("caching-2")
	if !ok || topic.Title != "Caching" || q.Answer != 1 || q.Choices[1] != "Cache-Control" {
		t.Fatalf("question caching-2 = %+v %+v", topic, q)
	}
	if got := topic.Lesson; got != "Keep answers close to where they are needed." {
		t.Errorf("lesson = %q", got)
	}
}

func TestParseRefusesMalformedFilesWithLineAndReason(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "file:line: reason" fragment
	}{
		{"not yaml", "name: [unclosed\n", "bad.yaml: yaml: line"},
		{"empty", "", "bad.yaml:1: the file is empty"},
		{"unknown top-level key", "name: T\ntopic:\n", "bad.yaml:2: unknown key \"topic\""},
		{"typo in a topic key", "name: T\ntopics:\n" + strings.Replace(validTopic, "key_points:", "keypoints:", 1), "bad.yaml:8: unknown key \"keypoints\" in topic"},
		{"answer letter outside the choices", "name: T\ntopics:\n" + strings.Replace(validTopic, "answer: c", "answer: d", 1), "bad.yaml:26: topic \"caching\" quiz question 3: answer \"d\""},
		{"too few resources", "name: T\ntopics:\n" + strings.Replace(validTopic, "      - title: RFC 9111\n        url: https://www.rfc-editor.org/rfc/rfc9111\n", "", 1), "bad.yaml:10: topic 1 \"caching\": 1 resources, at least 2 needed"},
		{"a resource that is not https", "name: T\ntopics:\n" + strings.Replace(validTopic, "url: https://www.rfc-editor.org", "url: http://www.rfc-editor.org", 1), "bad.yaml:14: topic 1 \"caching\": resource 2 url"},
		{"a repeated choice", "name: T\ntopics:\n" + strings.Replace(validTopic, "[Host, Cache-Control, Accept]", "[Host, Host, Cache-Control]", 1), "bad.yaml:20: topic 1 \"caching\": quiz question 2: choice b repeats"},
		{"no topics", "name: T\ntopics: []\n", "bad.yaml:1: no topics"},
		{"no name", "topics:\n" + validTopic, "the roadmap has no name"},
		{"topics not a list", "name: T\ntopics: caching\n", "bad.yaml:2: topics must be a list"},
		{"duplicate slug", "name: T\ntopics:\n" + validTopic + strings.Replace(strings.Replace(validTopic, "title: Caching", "title: Other", 1), "[cache]", "[other]", 1), "bad.yaml:28: topic 2: slug \"caching\" is used twice"},
		{"title used by another topic", "name: T\ntopics:\n" + validTopic + strings.Replace(strings.Replace(validTopic, "slug: caching", "slug: other", 1), "[cache]", "[other]", 1), "bad.yaml:29: topic \"other\": \"Caching\" is already used by topic \"caching\""},
		{"alias used by another topic", "name: T\ntopics:\n" + validTopic + strings.Replace(strings.Replace(validTopic, "slug: caching", "slug: other", 1), "title: Caching", "title: Other", 1), "bad.yaml:30: topic \"other\": \"cache\" is already used by topic \"caching\""},
		{"wrong type", "name: T\ntopics:\n" + strings.Replace(validTopic, "aliases: [cache]", "aliases: {a: b}", 1), "bad.yaml: yaml: unmarshal errors:\n  line 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custom.yaml")
	if err := os.WriteFile(path, []byte("name: Custom\ntopics:\n"+validTopic), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil || r.Name != "Custom" || len(r.Topics) != 1 {
		t.Fatalf("Load = %v, %v", r, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestEmbeddedRoadmapFollowsTheLearningPath(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"internet-basics", "programming-languages", "git", "relational-databases", "apis", "caching",
		"api-security", "testing", "software-design", "message-brokers", "containers", "nginx", "graphql",
		"mongodb", "firebase", "redis", "infrastructure"}
	if len(r.Topics) != len(want) {
		t.Fatalf("%d topics, want %d", len(r.Topics), len(want))
	}
	for i, slug := range want {
		topic := r.Topics[i]
		if topic.Slug != slug {
			t.Errorf("topic %d is %s, want %s", i+1, topic.Slug, slug)
		}
		if len(topic.Resources) < 2 || len(topic.Quiz) < 3 || len(topic.KeyPoints) < 3 {
			t.Errorf("%s: %d resources, %d questions, %d key points", slug, len(topic.Resources), len(topic.Quiz), len(topic.KeyPoints))
		}
		if paragraphs := strings.Count(topic.Lesson, "\n\n") + 1; paragraphs < 2 {
			t.Errorf("%s: lesson has %d paragraph(s), want a few", slug, paragraphs)
		}
		for _, res := range topic.Resources {
			if strings.Contains(res.URL, "example.") {
				t.Errorf("%s: placeholder URL %s", slug, res.URL)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("name: Test\ntopics:\n" + validTopic))
	f.Add([]byte("name: T\ntopics: []\n"))
	f.Add([]byte("topics:\n  - slug: a\n    quiz:\n      - answer: z\n"))
	f.Add([]byte("name: &a [*a]\n"))
	f.Add([]byte("- - - -\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := Parse("fuzz.yaml", src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "load roadmap fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(r.Topics) == 0 {
			t.Fatal("accepted a roadmap with no topics")
		}
		for _, topic := range r.Topics {
			for _, q := range topic.Quiz {
				if q.Answer < 0 || q.Answer >= len(q.Choices) {
					t.Fatalf("accepted answer %d of %d choices", q.Answer, len(q.Choices))
				}
			}
		}
	})
}
