package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// repo is the repository root: the build context the checks look at.
const repo = "../.."

func lint(t *testing.T, args ...string) (code int, out string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code = run(append([]string{"-C", repo}, args...), &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

func TestRepoDockerfilePasses(t *testing.T) {
	code, out := lint(t, "-v")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"[cpu] RUN scripts/install.sh --system --variant=cpu",
		"[cuda] RUN scripts/install.sh --system --variant=cuda",
		"[cuda] RUN scripts/install.sh --build --variant=cuda",
		"OK for VARIANT=cpu,cuda",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBrokenDockerfilesFail(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		{"run-not-script.Dockerfile", []string{
			`run-not-script.Dockerfile:5: RUN "apt-get update && apt-get install -y gcc": "&" makes it more than one call`,
			`run-not-script.Dockerfile:7: RUN "go build ./..." does not call scripts/install.sh`,
			`run-not-script.Dockerfile:8: RUN with a heredoc`,
		}},
		{"syntax-error.Dockerfile", []string{
			`syntax-error.Dockerfile:3: parse error: dockerfile parse error on line 3: unknown instruction: FROOM`,
		}},
		{"bad-args.Dockerfile", []string{
			// VARIANT is not redeclared in the stage: the shell sees it empty.
			`bad-args.Dockerfile:3: RUN scripts/install.sh --build --variant=: scripts/install.sh rejects these flags: install.sh: --variant must be cpu or cuda, not ''`,
			`bad-args.Dockerfile:4: RUN scripts/install.sh --bogus: scripts/install.sh rejects these flags: install.sh: unknown argument: --bogus`,
		}},
		{"copy-and-pins.Dockerfile", []string{
			`copy-and-pins.Dockerfile:1: FROM golang:latest: base image is not pinned`,
			`copy-and-pins.Dockerfile:2: FROM ubuntu: base image is not pinned`,
			`copy-and-pins.Dockerfile:4: COPY source "no-such-file" does not exist`,
			`copy-and-pins.Dockerfile:5: COPY source ".git" is excluded by .dockerignore`,
			`copy-and-pins.Dockerfile:6: ADD https://example.com/x.tar.gz: a remote source`,
		}},
		{"buildkit-lint.Dockerfile", []string{
			`buildkit-lint.Dockerfile:1: FromAsCasing:`,
			`buildkit-lint.Dockerfile:1: StageNameCasing:`,
			`buildkit-lint.Dockerfile:2: LegacyKeyValueFormat:`,
			`buildkit-lint.Dockerfile:3: UndefinedVar: Usage of undefined variable '$NOT_DEFINED'`,
			`buildkit-lint.Dockerfile:4: ExposeProtoCasing:`,
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			code, out := lint(t, filepath.Join("testdata", c.file))
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	if code, out := lint(t, "a", "b"); code != 2 {
		t.Errorf("two files: exit %d, want 2:\n%s", code, out)
	}
	if code, out := lint(t, "testdata/none.Dockerfile"); code != 2 || !strings.Contains(out, "none.Dockerfile") {
		t.Errorf("missing file: exit %d, want 2 and its name:\n%s", code, out)
	}
}
