package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummaryTotals(t *testing.T) {
	want := map[string][3]string{
		"circles-logistic": {"3", "3", "0"},
		"circles-fc":       {"129", "129", "0"},
		"mnist-fc":         {"186,664", "186,664", "0"},
		"mnist-cnn":        {"183,690", "183,690", "0"},
		"fer-logistic":     {"16,135", "16,135", "0"},
		"fer-fc":           {"713,959", "713,831", "128"},
		"fer-cnn":          {"785,095", "783,815", "1,280"},
	}
	for name, w := range want {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"summary", "--model", name}, &stdout, &stderr); code != 0 {
			t.Fatalf("fer summary --model %s: exit %d: %s", name, code, stderr.String())
		}
		for i, label := range []string{"Total params: ", "Trainable params: ", "Non-trainable params: "} {
			if line := label + w[i] + "\n"; !strings.Contains(stdout.String(), line) {
				t.Errorf("fer summary --model %s: no %q in\n%s", name, line, stdout.String())
			}
		}
	}
}

func TestSummaryListAndErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"summary", "--list"}, &stdout, &stderr); code != 0 || strings.Count(stdout.String(), "\n") != 8 ||
		!strings.Contains(stdout.String(), "fer-cnn ") || !strings.Contains(stdout.String(), "fer-vgg ") {
		t.Errorf("fer summary --list: exit %d, output:\n%s", code, stdout.String())
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"summary", "--model", "resnet"}, 1, `unknown model "resnet"`},
		{[]string{"summary"}, 2, "--model NAME or --list is required"},
		{[]string{"summary", "--bogus"}, 2, "flag provided but not defined"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("fer %v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
	stdout.Reset()
	if code := run([]string{"summary", "--model", "mnist-cnn", "--html"}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "<table") || !strings.Contains(stdout.String(), "183,690") {
		t.Errorf("fer summary --html: exit %d:\n%s", code, stdout.String())
	}
}
