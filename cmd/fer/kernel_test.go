package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestNotebooksBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"notebooks", "--mode", "slow"}, "--mode"},
		{[]string{"notebooks", "--timeout", "-5m"}, "--timeout -5m0s"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("fer %v: exit %d, stderr %q; want a failure naming %q", c.args, code, stderr.String(), c.want)
		}
	}
}
