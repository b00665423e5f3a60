package data

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

// officialHosts are the documentation sites lessons may send learners to: the projects'
// own documentation, standards bodies and vendors' manuals. Add a host deliberately, one per
// line, only when it is the official documentation of what a lesson teaches.
var officialHosts = map[string]bool{
	"developer.mozilla.org":      true, // MDN: the web platform
	"www.rfc-editor.org":         true, // IETF RFCs
	"datatracker.ietf.org":       true,
	"www.iana.org":               true,
	"www.w3.org":                 true,
	"html.spec.whatwg.org":       true,
	"nodejs.org":                 true,
	"docs.npmjs.com":             true,
	"docs.python.org":            true,
	"packaging.python.org":       true,
	"docs.djangoproject.com":     true,
	"flask.palletsprojects.com":  true,
	"go.dev":                     true,
	"pkg.go.dev":                 true,
	"dev.java":                   true,
	"docs.oracle.com":            true,
	"learn.microsoft.com":        true, // .NET, ASP.NET Core, Azure
	"docs.spring.io":             true,
	"git-scm.com":                true,
	"docs.github.com":            true,
	"www.postgresql.org":         true,
	"dev.mysql.com":              true,
	"mariadb.com":                true,
	"www.sqlite.org":             true,
	"sqlite.org":                 true,
	"spec.openapis.org":          true,
	"learn.openapis.org":         true,
	"swagger.io":                 true,
	"grpc.io":                    true,
	"protobuf.dev":               true,
	"owasp.org":                  true,
	"cheatsheetseries.owasp.org": true,
	"oauth.net":                  true,
	"openid.net":                 true,
	"docs.docker.com":            true,
	"kubernetes.io":              true,
	"nginx.org":                  true,
	"docs.nginx.com":             true,
	"graphql.org":                true,
	"spec.graphql.org":           true,
	"github.com":                 true, // a project whose documentation is its repository (DataLoader)
	"www.mongodb.com":            true,
	"firebase.google.com":        true,
	"redis.io":                   true,
	"www.rabbitmq.com":           true,
	"kafka.apache.org":           true,
	"developer.hashicorp.com":    true, // Terraform
	"docs.aws.amazon.com":        true,
	"cloud.google.com":           true,
	"12factor.net":               true, // the twelve-factor methodology's own site
	"martinfowler.com":           true, // the pattern catalogues' author (Repository, …)
	"prometheus.io":              true,
	"opentelemetry.io":           true,
	"docs.pytest.org":            true,
	"jestjs.io":                  true,
	"junit.org":                  true,
	"playwright.dev":             true,
	"man7.org":                   true, // the Linux man-pages project
	"www.gnu.org":                true, // Bash and coreutils manuals
	"curl.se":                    true,
	"man.openbsd.org":            true, // OpenSSH's manual pages
	"www.openssh.com":            true,
	"letsencrypt.org":            true,
}

// fencedBlock is a fenced code block of the lesson Markdown subset.
var fencedBlock = regexp.MustCompile("(?ms)^\\s*```[^\\n]*\\n.*?^\\s*```\\s*$")

// proseWords counts the words of a body outside its code blocks.
func proseWords(body string) int {
	return len(strings.Fields(fencedBlock.ReplaceAllString(body, " ")))
}

// TestContentLint holds every lesson of the embedded roadmap to the content rules: a body a
// beginner can study in one sitting with a runnable artefact, an exercise that says when it
// is done, honest minutes, official resources with a hint of what to read, and questions
// whose right answer is not given away by its length.
func TestContentLint(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	questions, longest := 0, 0
	for _, l := range r.Lessons() {
		where := l.Topic().Slug + "/" + l.Slug
		if n := proseWords(l.Body); n < 250 || n > 900 {
			t.Errorf("%s: body has %d words outside code, want 250 to 900", where, n)
		}
		if !fencedBlock.MatchString(l.Body) {
			t.Errorf("%s: body has no fenced code or config block", where)
		}
		if !strings.Contains(strings.ToLower(l.Exercise), "done when") {
			t.Errorf("%s: no exercise with a \"Done when\" sentence", where)
		}
		if l.Minutes < 5 || l.Minutes > 90 {
			t.Errorf("%s: minutes %d, want 5 to 90", where, l.Minutes)
		}
		for _, res := range l.Resources {
			u, err := url.Parse(res.URL)
			if err != nil || !officialHosts[u.Hostname()] {
				t.Errorf("%s: %s is not on the list of official documentation hosts", where, res.URL)
			}
			if strings.TrimSpace(res.Section) == "" {
				t.Errorf("%s: resource %s has no section hint", where, res.URL)
			}
		}
		if !l.Project && (len(l.Questions) < 3 || len(l.Questions) > 5) {
			t.Errorf("%s: %d questions, want 3 to 5", where, len(l.Questions))
		}
		for _, q := range l.Questions {
			questions++
			if strictlyLongest(q) {
				longest++
			}
		}
	}
	if questions == 0 || longest*100 > questions*30 {
		t.Errorf("the right answer is the strictly longest choice in %d of %d questions; at most 30 %% may be", longest, questions)
	}
	t.Logf("%d lessons, %d questions, right answer longest in %d", len(r.Lessons()), questions, longest)
}

func strictlyLongest(q bot.Question) bool {
	for i, c := range q.Choices {
		if i != q.Answer && len(c) >= len(q.Choices[q.Answer]) {
			return false
		}
	}
	return true
}

// TestTheRoadmapFollowsTheLearningPath checks the topics' order, how many lessons each has
// at least, and where the five projects stand.
func TestTheRoadmapFollowsTheLearningPath(t *testing.T) {
	r, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		slug    string
		lessons int // at least, projects included
		project string
	}{
		{"internet-basics", 6, ""}, {"programming-languages", 8, ""}, {"git", 5, ""},
		{"relational-databases", 8, ""}, {"apis", 8, "project-rest-api"}, {"caching", 4, ""},
		{"api-security", 8, "project-secure-api"}, {"testing", 6, "project-test-api"},
		{"software-design", 6, ""}, {"message-brokers", 4, ""}, {"containers", 6, ""},
		{"nginx", 5, "project-ship-api"}, {"graphql", 4, ""}, {"mongodb", 5, ""},
		{"firebase", 4, ""}, {"redis", 4, ""}, {"infrastructure", 9, "project-run-for-real"},
	}
	if len(r.Topics) != len(want) {
		t.Fatalf("%d topics, want %d", len(r.Topics), len(want))
	}
	projects, questions := 0, 0
	for i, w := range want {
		topic := r.Topics[i]
		if topic.Slug != w.slug {
			t.Errorf("topic %d is %s, want %s", i+1, topic.Slug, w.slug)
			continue
		}
		if len(topic.Lessons) < w.lessons {
			t.Errorf("%s: %d lessons, want at least %d", w.slug, len(topic.Lessons), w.lessons)
		}
		if s := strings.Count(topic.Overview, ". ") + 1; topic.Overview == "" || s > 5 {
			t.Errorf("%s: overview of about %d sentences, want 2 to 4", w.slug, s)
		}
		for j, l := range topic.Lessons {
			questions += len(l.Questions)
			if !l.Project {
				continue
			}
			projects++
			last := len(topic.Lessons) - 1
			if w.slug == "infrastructure" {
				last-- // the closing lesson comes after the capstone
			}
			if l.Slug != w.project || j != last {
				t.Errorf("%s: project %s at lesson %d of %d, want %q closing the topic", w.slug, l.Slug, j+1, len(topic.Lessons), w.project)
			}
		}
	}
	if got := r.Topics[len(r.Topics)-1].Lessons; got[len(got)-1].Slug != "keep-learning" {
		t.Errorf("the roadmap ends with %s, want the keep-learning lesson", got[len(got)-1].Slug)
	}
	if n := len(r.Lessons()); n < 94 || projects != 5 || questions < 350 {
		t.Errorf("%d lessons, %d projects, %d questions; want at least 94, 5 and 350", n, projects, questions)
	}
}

// BenchmarkLoadEmbeddedRoadmap is what startup spends reading and checking the roadmap.
func BenchmarkLoadEmbeddedRoadmap(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}
