package fer

import (
	"fmt"
	"os"
	"strings"
)

// ModeEnv is the environment variable that selects how much work notebooks
// and commands do: "quick" (subsets and few epochs, for CI and a first look)
// or "full" (the thesis's settings). Unset means quick.
const ModeEnv = "FER_MODE"

// RunMode returns "quick" or "full" from $FER_MODE (default "quick"). An
// unknown value is reported by Describe and treated as quick.
func RunMode() string {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(ModeEnv)), "full") {
		return "full"
	}
	return "quick"
}

// QuickMode reports whether RunMode is "quick".
func QuickMode() bool { return RunMode() == "quick" }

// Pick returns quick in quick mode and full in full mode: a one-liner for
// notebook settings such as epochs := fer.Pick(1, 10).
func Pick[T any](quick, full T) T {
	if QuickMode() {
		return quick
	}
	return full
}

// Describe returns a short report of the run configuration for the first
// cell of every notebook: the backend that will be used and why, and the mode.
func Describe() string {
	c := ChooseBackend()
	mode := RunMode()
	if v := os.Getenv(ModeEnv); v != "" && !strings.EqualFold(v, "quick") && !strings.EqualFold(v, "full") {
		mode += fmt.Sprintf(" ($%s=%q is not quick or full)", ModeEnv, v)
	}
	hint := fmt.Sprintf("subsets and few epochs; set %s=full for the thesis's settings", ModeEnv)
	if RunMode() == "full" {
		hint = "the thesis's settings"
	}
	return fmt.Sprintf("backend: %s — %s\nmode:    %s (%s)", c.Config, c.Reason, mode, hint)
}
