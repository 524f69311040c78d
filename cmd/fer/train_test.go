package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTrainResumes(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"train", "--model", "circles-fc", "--epochs", "2", "--optimizer", "adam", "--lr", "0.01", "--checkpoint", dir}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("fer %v: exit %d: %s", args, code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Epoch 2/2") || !strings.Contains(stdout.String(), "validation: loss") {
		t.Errorf("first run printed:\n%s", stdout.String())
	}
	stdout.Reset()
	args[4] = "4"
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("fer %v: exit %d: %s", args, code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "2 epoch(s) done, training to epoch 4") || strings.Contains(out, "Epoch 2/") || !strings.Contains(out, "Epoch 4/4") {
		t.Errorf("second run did not resume at epoch 3:\n%s", out)
	}
}

func TestTrainErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"train"}, 2, "--model NAME is required"},
		{[]string{"train", "--model", "nope"}, 1, "unknown model"},
		{[]string{"train", "--model", "circles-fc", "--batch", "-1"}, 2, "--batch must be positive"},
		{[]string{"train", "--model", "circles-fc", "--optimizer", "rmsprop"}, 2, "unknown --optimizer"},
		{[]string{"train", "--model", "mnist-cnn", "--data", "/nonexistent"}, 1, "MNIST"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("fer %v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
}
