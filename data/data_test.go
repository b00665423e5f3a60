package data

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// validTopic is one well-formed topic of the version 2 format, as a list item of a single
// file; tests break one thing at a time.
const validTopic = `  - slug: caching
    title: Caching
    aliases: [cache]
    overview: Why caching matters.
    lessons:
      - slug: caching-headers
        title: Cache headers
        minutes: 20
        body: |
          Keep answers close to where they are needed.

          ` + "```http" + `
          Cache-Control: max-age=60
          ` + "```" + `
        exercise: Send one. Done when you see a 304.
        key_points:
          - Every cache needs an invalidation story.
        resources:
          - title: MDN HTTP caching
            url: https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Caching
            section: Freshness
          - title: RFC 9111
            url: https://www.rfc-editor.org/rfc/rfc9111
        questions:
          - question: What does a TTL bound?
            choices: [How long an entry is served, The key size, The port, The scheme]
            answer: a
            explain: After the TTL the entry is stale.
          - question: Which header tells a browser how long to cache?
            choices: [Host, Cache-Control, Accept, Origin]
            answer: b
            explain: Cache-Control carries max-age.
          - question: What is a cache miss?
            choices: [A hit, A bug, The value was not in the cache, A timeout]
            answer: c
            explain: A miss falls through to the origin.
`

func TestParseAcceptsAWellFormedRoadmap(t *testing.T) {
	r, err := Parse("good.yaml", []byte("name: Test\ntopics:\n"+validTopic))
	if err != nil {
		t.Fatal(err)
	}
	q, ok := r.Question("caching-headers-2")
	if !ok || q.Lesson().Topic().Title != "Caching" || q.Answer != 1 || q.Choices[1] != "Cache-Control" {
		t.Fatalf("question caching-headers-2 = %+v", q)
	}
	l := q.Lesson()
	if !strings.HasPrefix(l.Body, "Keep answers close") || l.Minutes != 20 || l.Resources[0].Section != "Freshness" || r.Topics[0].Overview != "Why caching matters." {
		t.Errorf("lesson = %+v", l)
	}
}

func TestParseRefusesMalformedFilesWithLineAndReason(t *testing.T) {
	doc := func(topics ...string) string { return "name: T\ntopics:\n" + strings.Join(topics, "") }
	other := strings.NewReplacer("slug: caching\n", "slug: other\n", "title: Caching\n", "title: Other\n", "[cache]", "[other]",
		"slug: caching-headers", "slug: other-headers", "title: Cache headers", "title: Other headers").Replace(validTopic)
	tests := []struct {
		name string
		src  string
		want string // "file:line: reason" fragment
	}{
		{"not yaml", "name: [unclosed\n", "bad.yaml: yaml: line"},
		{"empty", "", "bad.yaml:1: the file is empty"},
		{"unknown top-level key", "name: T\ntopic:\n", "bad.yaml:2: unknown key \"topic\""},
		{"typo in a lesson key", doc(strings.Replace(validTopic, "key_points:", "keypoints:", 1)), "bad.yaml:18: unknown key \"keypoints\" (allowed: slug, title, minutes"},
		{"typo in a resource key", doc(strings.Replace(validTopic, "section: Freshness", "sectoin: Freshness", 1)), "bad.yaml:23: unknown key \"sectoin\""},
		{"answer letter outside the choices", doc(strings.Replace(validTopic, "answer: c", "answer: e", 1)), "bad.yaml:37: lesson \"caching-headers\" question 3: answer \"e\""},
		{"three choices", doc(strings.Replace(validTopic, ", A timeout]", "]", 1)), "bad.yaml:35: lesson \"caching-headers\" question 3: 3 choices, a question has exactly 4"},
		{"too few resources", doc(strings.Replace(validTopic, "          - title: RFC 9111\n            url: https://www.rfc-editor.org/rfc/rfc9111\n", "", 1)), "bad.yaml:20: topic \"caching\" lesson 1 (caching-headers): 1 resources, at least 2 needed"},
		{"a resource that is not https", doc(strings.Replace(validTopic, "url: https://www.rfc-editor.org", "url: http://www.rfc-editor.org", 1)), "bad.yaml:25: topic \"caching\" lesson 1 (caching-headers): resource 2 url"},
		{"a repeated choice", doc(strings.Replace(validTopic, "[Host, Cache-Control, Accept, Origin]", "[Host, Host, Cache-Control, Accept]", 1)), "bad.yaml:31: topic \"caching\" lesson 1 (caching-headers): question 2: choice b repeats"},
		{"a lesson without questions", doc(strings.Replace(validTopic, "        questions:\n", "        questionz:\n", 1)), "unknown key \"questionz\""},
		{"no topics", "name: T\ntopics: []\n", "bad.yaml:1: no topics"},
		{"no name", "topics:\n" + validTopic, "the roadmap has no name"},
		{"duplicate topic slug", doc(validTopic, strings.Replace(other, "slug: other\n", "slug: caching\n", 1)), "topic 2 (caching): slug \"caching\" is used twice"},
		{"duplicate lesson slug", doc(validTopic, strings.Replace(other, "slug: other-headers", "slug: caching-headers", 1)), "lesson slug \"caching-headers\" is used twice"},
		{"lesson title used elsewhere", doc(validTopic, strings.Replace(other, "title: Other headers", "title: Caching", 1)), "\"Caching\" is already used by topic caching"},
		{"alias used by another topic", doc(validTopic, strings.Replace(other, "[other]", "[cache]", 1)), "\"cache\" is already used by topic caching"},
		{"wrong type", doc(strings.Replace(validTopic, "aliases: [cache]", "aliases: {a: b}", 1)), "line 5"},
		{"version 1 keys beside lessons", doc(strings.Replace(validTopic, "    overview:", "    lesson: old\n    overview:", 1)), "mixes version 1 keys"},
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

func TestAVersion1FileStillLoadsWithOneLessonPerTopic(t *testing.T) {
	r, err := Load(filepath.Join("testdata", "v1-roadmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Topics) != 17 || len(r.Lessons()) != 17 {
		t.Fatalf("%d topics, %d lessons; want 17 of each", len(r.Topics), len(r.Lessons()))
	}
	l, ok := r.Lesson("caching")
	if !ok || l.Topic().Slug != "caching" || !strings.HasPrefix(l.Body, "Caching means") || len(l.Questions) < 3 {
		t.Fatalf("lesson caching = %+v", l)
	}
	if _, ok := r.Question("caching-2"); !ok {
		t.Error("version 1 question IDs changed")
	}
}

func TestLoadReadsADirectoryOrOneFileAndNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	topic := strings.ReplaceAll(strings.TrimPrefix(validTopic, "  - "), "\n    ", "\n")
	must(t, os.WriteFile(filepath.Join(dir, HeaderFile), []byte("name: Custom\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "01-caching.yaml"), []byte(topic), 0o600))
	r, err := Load(dir)
	if err != nil || r.Name != "Custom" || len(r.Topics) != 1 || len(r.Lessons()) != 1 {
		t.Fatalf("Load(dir) = %v, %v", r, err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "02-broken.yaml"), []byte("slug: x\nnope: 1\n"), 0o600))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "02-broken.yaml:2: unknown key \"nope\"") {
		t.Errorf("a broken file in a directory: %v", err)
	}
	file := filepath.Join(t.TempDir(), "custom.yaml")
	must(t, os.WriteFile(file, []byte("name: Custom\ntopics:\n"+validTopic), 0o600))
	if r, err := Load(file); err != nil || r.Name != "Custom" {
		t.Fatalf("Load(file) = %v, %v", r, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestLoadRefusesWhatIsNotARegularFileOfAFewMegabytes(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.yaml")
	must(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(t.TempDir(), "big.yaml")
	must(t, os.WriteFile(big, []byte("name: Big\n# "+strings.Repeat("x", MaxSize)+"\n"), 0o600))
	for path, want := range map[string]string{fifo: "not a regular file", "/dev/zero": "not a regular file", big: "more than the"} {
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s) = %v, want %q", path, err, want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("name: Test\ntopics:\n" + validTopic))
	f.Add([]byte("name: T\ntopics: []\n"))
	f.Add([]byte("topics:\n  - slug: a\n    quiz:\n      - answer: z\n"))
	f.Add([]byte("name: T\ntopics:\n  - slug: a\n    lessons:\n      - questions:\n          - answer: z\n"))
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
		if len(r.Topics) == 0 || len(r.Lessons()) == 0 {
			t.Fatal("accepted a roadmap with no lessons")
		}
		for _, l := range r.Lessons() {
			for _, q := range l.Questions {
				if q.Answer < 0 || q.Answer >= len(q.Choices) {
					t.Fatalf("accepted answer %d of %d choices", q.Answer, len(q.Choices))
				}
			}
		}
	})
}
