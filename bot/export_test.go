package bot

import "testing"

// TestRoadmap is the small roadmap the core's own tests use, for the external test package.
var TestRoadmap = testRoadmap

// LessonRoadmap is a roadmap of topics with several lessons each.
func LessonRoadmap(t testing.TB) *Roadmap {
	t.Helper()
	project := testLesson("caching-project", "Project: cache it")
	project.Project, project.Questions = true, nil
	project.Steps, project.Checklist, project.DrawsOn = []string{"Add a cache."}, []string{"Hits are fast."}, []string{"caching-headers"}
	r, err := NewRoadmap("Lessons", []Topic{
		testTopicOf("internet-basics", "Internet basics", testLesson("dns-basics", "DNS"), testLesson("http-basics", "HTTP")),
		testTopicOf("caching", "Caching", testLesson("caching-headers", "Cache headers"), testLesson("caching-cdn", "CDNs"),
			testLesson("caching-server", "Server caches"), project),
		testTopicOf("testing", "Testing", testLesson("unit-tests", "Unit tests")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
