package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--model", "circles-fc", "--batch", "8", "--steps", "3", "--warmup", "1"},
		{"bench", "--model", "mnist-fc", "--batch", "4", "--steps", "2", "--infer"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("fer %v: exit %d: %s", args, code, stderr.String())
		}
		if out := stdout.String(); !strings.Contains(out, "images/s") || !strings.Contains(out, "backend: ") {
			t.Errorf("fer %v printed:\n%s", args, out)
		}
	}
}

func TestBenchErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"bench", "--model", "nope"}, 1},
		{[]string{"bench", "--batch", "0"}, 2},
		{[]string{"bench", "--steps", "x"}, 2},
		{[]string{"bench", "extra"}, 2},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || stderr.Len() == 0 {
			t.Errorf("fer %v: exit %d (stderr %q), want %d and a message", c.args, code, stderr.String(), c.code)
		}
	}
}
