package bot

// TestRoadmap is the small roadmap the core's own tests use, for the external test package.
var TestRoadmap = testRoadmap
