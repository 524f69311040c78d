package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestReproduceRejectsNegativeFCSeeds(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"reproduce", "fer2013", "--fc-seeds", "-1", "--out", t.TempDir()}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--fc-seeds must not be negative") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
