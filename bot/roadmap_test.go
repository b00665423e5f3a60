package bot

import (
	"fmt"
	"strings"
	"testing"
)

// testLesson builds a valid lesson; tests change what they are about.
func testLesson(slug, title string) Lesson {
	l := Lesson{Slug: slug, Title: title, Minutes: 10, Body: "A lesson about " + title + ".\n\n```sh\necho " + slug + "\n```",
		Exercise:  "Try it. Done when it works.",
		KeyPoints: []string{"One point."},
		Resources: []Resource{{"Docs", "https://example.org/" + slug, "Read it all"}, {"More docs", "https://example.org/" + slug + "/more", ""}}}
	for i := range 3 {
		l.Questions = append(l.Questions, Question{Text: fmt.Sprintf("Question %d about %s?", i+1, title),
			Choices: []string{"Right", "Wrong", "Also wrong", "Not this"}, Answer: 0, Explain: "Because."})
	}
	return l
}

// testTopic builds a valid topic of one lesson that shares its slug and title, as a
// version 1 topic loads; tests change what they are about.
func testTopic(slug, title string, aliases ...string) Topic {
	return Topic{Slug: slug, Title: title, Aliases: aliases, Overview: "Why " + title + " matters.",
		Lessons: []Lesson{testLesson(slug, title)}}
}

// testTopicOf builds a topic of several lessons.
func testTopicOf(slug, title string, lessons ...Lesson) Topic {
	return Topic{Slug: slug, Title: title, Overview: "Why " + title + " matters.", Lessons: lessons}
}

func testRoadmap(t testing.TB) *Roadmap {
	t.Helper()
	r, err := NewRoadmap("Test", []Topic{
		testTopic("internet-basics", "Internet basics", "dns", "http"),
		testTopic("caching", "Caching"),
		testTopic("api-security", "API security", "oauth"),
		testTopic("apis", "APIs", "rest"),
		testTopic("containers", "Containers: Docker and Kubernetes", "docker", "kubernetes"),
		testTopic("testing", "Testing"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoadmapMatch(t *testing.T) {
	r := testRoadmap(t)
	tests := []struct {
		in       string
		want     string   // matched slug, "" for none
		suggests []string // suggestions when nothing matched
	}{
		{"caching", "caching", nil},
		{"Caching", "caching", nil},
		{"API Security", "api-security", nil},
		{"api_security", "api-security", nil},
		{"oauth", "api-security", nil},
		{"cach", "caching", nil},                      // unique prefix
		{"cachign", "caching", nil},                   // one transposition
		{"kubernetess", "containers", nil},            // close misspelling of an alias
		{"api", "", []string{"api-security", "apis"}}, // ambiguous prefix
		{"docker compose", "", []string{"containers"}},
		{"astrology", "", nil},
		{"", "", nil},
		{"tst", "", nil}, // too short to guess from
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m := r.MatchTopic(tt.in)
			if tt.want != "" {
				if !m.Found || m.Target.Topic == nil || m.Target.Topic.Slug != tt.want {
					t.Fatalf("MatchTopic(%q) = %+v, want %s", tt.in, m, tt.want)
				}
				return
			}
			if m.Found {
				t.Fatalf("MatchTopic(%q) = %s, want no match", tt.in, m.Target.Slug())
			}
			var slugs []string
			for _, s := range m.Suggestions {
				slugs = append(slugs, s.Slug())
			}
			if strings.Join(slugs, ",") != strings.Join(tt.suggests, ",") {
				t.Errorf("Match(%q) suggests %v, want %v", tt.in, slugs, tt.suggests)
			}
		})
	}
}

func TestNewRoadmapRefusesBrokenContent(t *testing.T) {
	noQuiz := testTopic("b", "B")
	noQuiz.Lessons[0].Questions = noQuiz.Lessons[0].Questions[:2]
	badAnswer := testTopic("b", "B")
	badAnswer.Lessons[0].Questions[1].Answer = 4
	httpLink := testTopic("b", "B")
	httpLink.Lessons[0].Resources[0].URL = "http://example.org"
	dupChoice := testTopic("b", "B")
	dupChoice.Lessons[0].Questions[0].Choices = []string{"Same", "same"}
	project := testTopic("b", "B")
	project.Lessons[0].Project, project.Lessons[0].Questions = true, nil
	drawsOnLater := testTopicOf("c", "C", testLesson("c-one", "C one"), testLesson("c-two", "C two"))
	drawsOnLater.Lessons[0].Project, drawsOnLater.Lessons[0].Steps, drawsOnLater.Lessons[0].Checklist = true, []string{"Build"}, []string{"Built"}
	drawsOnLater.Lessons[0].DrawsOn = []string{"c-two"}
	lessonClash := testTopicOf("d", "D", testLesson("d-one", "Caching"))
	openFence := testTopic("b", "B")
	openFence.Lessons[0].Body = "Look:\n```sh\necho hi"
	noLessons := testTopicOf("e", "E")
	tests := []struct {
		name   string
		topics []Topic
		reason string
	}{
		{"no topics", nil, "no topics"},
		{"duplicate slug", []Topic{testTopic("a", "A"), testTopic("a", "Other")}, "used twice"},
		{"alias clashes with a title", []Topic{testTopic("a", "A"), testTopic("b", "B", "a")}, "already used"},
		{"too few questions", []Topic{noQuiz}, "at least 3"},
		{"answer outside the choices", []Topic{badAnswer}, "question 2"},
		{"project without steps", []Topic{project}, "steps and a checklist"},
		{"project drawing on a later lesson", []Topic{drawsOnLater}, "not an earlier lesson"},
		{"lesson title clashes with a topic", []Topic{testTopic("caching", "Caching"), lessonClash}, "already used"},
		{"code block never closed", []Topic{openFence}, "never closed"},
		{"topic without lessons", []Topic{noLessons}, "no lessons"},
		{"plain http link", []Topic{httpLink}, "https://"},
		{"repeated choice", []Topic{dupChoice}, "repeats"},
		{"bad slug", []Topic{testTopic("Bad Slug", "B")}, "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRoadmap("x", tt.topics)
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("NewRoadmap error = %v, want one mentioning %q", err, tt.reason)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"caching", "caching", 0},
		{"cachign", "caching", 1}, {"kubernetess", "kubernetes", 1}, {"redsi", "redis", 1},
		{"mongo", "mango", 1}, {"git", "gti", 1}, {"nginx", "engine-x", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestQuestionIDs(t *testing.T) {
	r := testRoadmap(t)
	q, ok := r.Question("api-security-2")
	if !ok || q.Lesson().Topic().Slug != "api-security" || q.Text != "Question 2 about API security?" {
		t.Fatalf("Question(api-security-2) = %v %v", q, ok)
	}
	for _, id := range []string{"api-security-4", "api-security", "nope-1", "-1", ""} {
		if _, ok := r.Question(id); ok {
			t.Errorf("Question(%q) found something", id)
		}
	}
}

func TestSuggestRanksPrefixesFirst(t *testing.T) {
	r := testRoadmap(t)
	slugs := func(ts []Target) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.Slug())
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, "internet-basics,caching,api-security"},
		{"ap", 5, "api-security,apis"},
		{"apis", 5, "apis,api-security"},
		{"kube", 5, "containers"},
		{"secur", 5, "api-security"},
		{"zzz", 5, ""},
	}
	for _, tt := range tests {
		if got := slugs(r.Suggest(tt.in, tt.n, true, false)); got != tt.want {
			t.Errorf("Suggest(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
