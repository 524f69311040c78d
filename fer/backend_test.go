package fer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChooseBackendOfflineFallsBackToGo checks that with GOMLX_BACKEND unset and
// no PJRT plugin installed the pure-Go backend is chosen and starts, with no
// download attempt: go-xla's auto-installer would write under $HOME.
func TestChooseBackendOfflineFallsBackToGo(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	t.Setenv("PYTHONPATH", "")
	os.Unsetenv(BackendEnv)
	if p := findJAXCUDAPlugin(); p != "" {
		t.Skipf("a CUDA plugin is installed on this machine (%s)", p)
	}
	c := ChooseBackend()
	if c.Config != GoBackendConfig {
		t.Skipf("a PJRT plugin is installed on this machine: %s", c)
	}
	b, err := NewBackend(c)
	if err != nil {
		t.Fatalf("starting %s: %v", c, err)
	}
	defer b.Finalize()
	if !strings.Contains(strings.ToLower(b.Name()), "go") {
		t.Errorf("backend name %q, want the Go backend", b.Name())
	}
	// Asking for XLA explicitly must fail cleanly, not download a plugin.
	_, err = NewBackend(BackendChoice{Config: "xla:cpu", Reason: "test"})
	if err == nil {
		t.Fatal("xla:cpu without a plugin: want an error")
	}
	entries, _ := os.ReadDir(home)
	var written []string
	_ = filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written = append(written, p)
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("backend choice wrote files under $HOME (download attempt?): %v (entries %v)", written, entries)
	}
}

func TestChooseBackendHonoursEnv(t *testing.T) {
	t.Setenv(BackendEnv, "go")
	if c := ChooseBackend(); c.Config != "go" || !strings.Contains(c.Reason, BackendEnv) {
		t.Errorf("choice %v", c)
	}
	t.Setenv(BackendEnv, "no-such-backend")
	c := ChooseBackend()
	if _, err := NewBackend(c); err == nil || !strings.Contains(err.Error(), "no-such-backend") {
		t.Errorf("unknown backend: err = %v, want one naming it", err)
	}
}

func TestFindJAXCUDAPlugin(t *testing.T) {
	site := t.TempDir()
	dir := filepath.Join(site, "jax_plugins", "xla_cuda13")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	so := filepath.Join(dir, "xla_cuda_plugin.so")
	if err := os.WriteFile(so, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", site)
	if got := findJAXCUDAPlugin(); got != so {
		t.Errorf("findJAXCUDAPlugin() = %q, want %q", got, so)
	}
}

func TestPick(t *testing.T) {
	t.Setenv(ModeEnv, "full")
	if Pick(1, 10) != 10 || RunMode() != "full" {
		t.Error("full mode")
	}
	t.Setenv(ModeEnv, "")
	if Pick(1, 10) != 1 || !QuickMode() {
		t.Error("quick mode is the default")
	}
	t.Setenv(ModeEnv, "bogus")
	if !strings.Contains(Describe(), "bogus") {
		t.Error("Describe should mention an unknown mode")
	}
}

func TestGoBackendChoiceFollowsThePatches(t *testing.T) {
	if c := goBackendChoice(goBackendDescription()); c.Config != GoBackendConfig {
		t.Errorf("with this module's patched compute (description %q): %s, want %s", goBackendDescription(), c, GoBackendConfig)
	}
	if c := goBackendChoice("Go Portable Compute Backend (parallelism=4)"); c.Config != "go:ops_sequential" {
		t.Errorf("with upstream compute's description: %s, want go:ops_sequential", c)
	}
}
