package fer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers the pure-Go backend "go".
	"github.com/gomlx/go-xla/compute/xla"  // registers the XLA backend "xla".
	"github.com/gomlx/go-xla/pjrt"
)

// BackendEnv is the environment variable that, when set, names the GoMLX backend
// configuration to use (for example "go", "xla:cpu" or "xla:cuda").
const BackendEnv = compute.ConfigEnvVar

// BackendChoice records which GoMLX backend configuration was chosen and why.
type BackendChoice struct {
	// Config is the configuration string given to compute.NewWithConfig,
	// e.g. "go", "xla:cuda", "xla:cpu" or "xla:/path/to/plugin.so".
	Config string
	// Reason explains, in one sentence, why this configuration was chosen.
	Reason string
}

// String returns "config (reason)".
func (c BackendChoice) String() string { return fmt.Sprintf("%s (%s)", c.Config, c.Reason) }

func init() {
	// Never let go-xla download a PJRT plugin behind the user's back: this project
	// must work offline, and downloads are an explicit, separate step.
	xla.EnableAutoInstall(false)
}

// ChooseBackend decides which GoMLX backend to use, without creating it and
// without any network access:
//
//  1. $GOMLX_BACKEND, if set, is used as given;
//  2. otherwise XLA, if a PJRT plugin is already installed: CUDA first, then CPU
//     (plugins are searched where go-xla searches, $PJRT_PLUGIN_LIBRARY_PATH
//     included, plus the CUDA plugin that JAX's pip package jax-cuda*-pjrt installs);
//  3. otherwise the pure-Go backend (GoBackendConfig with this project's
//     patched compute, "go:ops_sequential" with upstream's; see
//     goBackendChoice).
func ChooseBackend() BackendChoice {
	if v, ok := os.LookupEnv(BackendEnv); ok && strings.TrimSpace(v) != "" {
		return BackendChoice{Config: strings.TrimSpace(v), Reason: "$" + BackendEnv + " is set"}
	}
	plugins := pjrt.AvailablePlugins()
	if p, ok := plugins["cuda"]; ok {
		return BackendChoice{Config: "xla:cuda", Reason: "PJRT CUDA plugin found at " + p}
	}
	if p := findJAXCUDAPlugin(); p != "" {
		return BackendChoice{Config: "xla:" + p, Reason: "JAX's PJRT CUDA plugin found at " + p}
	}
	if p, ok := plugins["cpu"]; ok {
		return BackendChoice{Config: "xla:cpu", Reason: "PJRT CPU plugin found at " + p}
	}
	return goBackendChoice(goBackendDescription())
}

// goBackendChoice is the pure-Go backend's configuration given its
// Description: GoBackendConfig when it is the patched copy of
// third_party/compute (its description names goPatchesMarker), else
// "go:ops_sequential" — a program that imports this package from another
// module gets upstream compute (a replace only applies in the main module),
// whose worker pool can deadlock under the parallel schedule.
func goBackendChoice(description string) BackendChoice {
	if strings.Contains(description, goPatchesMarker) {
		return BackendChoice{Config: GoBackendConfig, Reason: "no PJRT plugin installed; pure-Go backend"}
	}
	return BackendChoice{Config: "go:ops_sequential", Reason: "no PJRT plugin installed; pure-Go backend, " +
		"upstream compute (not this project's patched copy): ops run one at a time, as its worker pool can deadlock otherwise"}
}

// goPatchesMarker is what the Go backend of third_party/compute says in its
// Description (gobackend.FerPatchesMarker there).
const goPatchesMarker = "fer-thesis patches"

// goBackendDescription returns the Description of a pure-Go backend, created
// and finalized for the purpose (that is cheap: no worker starts), or "".
func goBackendDescription() string {
	b, err := compute.NewWithConfig("go")
	if err != nil {
		return ""
	}
	defer b.Finalize()
	return b.Description()
}

// GoBackendConfig is the configuration ChooseBackend uses for the pure-Go
// backend: compute's default, which runs independent ops of a graph in
// parallel (and each large op split across cores). Upstream compute v0.1.3
// could deadlock that way (a matmul waited for a free worker while holding
// one, and so did every other worker), so this project used
// "go:ops_sequential" until its patched copy (third_party/compute,
// FER_PATCHES.md) made the worker pool unable to wait on itself; with
// upstream compute (fer imported from another module), ChooseBackend still
// picks "go:ops_sequential". Setting $GOMLX_BACKEND=go:ops_sequential gives
// the sequential schedule.
const GoBackendConfig = "go"

// findJAXCUDAPlugin looks for the CUDA PJRT plugin shipped by JAX's pip packages
// (jax_plugins/xla_cuda*/xla_cuda_plugin.so) in the site-packages directories
// named by $PYTHONPATH and the usual prefixes. It returns "" if there is none.
func findJAXCUDAPlugin() string {
	var roots []string
	for _, p := range filepath.SplitList(os.Getenv("PYTHONPATH")) {
		if p != "" {
			roots = append(roots, p)
		}
	}
	for _, prefix := range []string{"/usr/local/lib", "/usr/lib", filepath.Join(os.Getenv("HOME"), ".local/lib")} {
		m, _ := filepath.Glob(filepath.Join(prefix, "python3*", "*-packages"))
		roots = append(roots, m...)
	}
	for _, r := range roots {
		m, _ := filepath.Glob(filepath.Join(r, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		if len(m) > 0 {
			sort.Strings(m)
			return m[len(m)-1] // newest CUDA major version
		}
	}
	return ""
}

// NewBackend creates the backend described by choice. It returns an error (never
// panics) when the named backend is not compiled in or cannot start.
func NewBackend(choice BackendChoice) (b compute.Backend, err error) {
	name, _, _ := strings.Cut(choice.Config, ":")
	if !slices.Contains(compute.List(), name) {
		return nil, fmt.Errorf("backend %q (from %s) is not available; compiled-in backends: %v", name, choice.Reason, compute.List())
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("starting backend %q: %v", choice.Config, r)
		}
	}()
	b, err = compute.NewWithConfig(choice.Config)
	if err != nil {
		return nil, fmt.Errorf("starting backend %q (%s): %w", choice.Config, choice.Reason, err)
	}
	return b, nil
}

var (
	defaultOnce    sync.Once
	defaultBackend compute.Backend
	defaultChoice  BackendChoice
	defaultErr     error
)

// Backend returns the process-wide backend chosen by ChooseBackend, creating it on
// first use. Notebooks and commands share it, so graphs are compiled once.
func Backend() (compute.Backend, BackendChoice, error) {
	defaultOnce.Do(func() {
		defaultChoice = ChooseBackend()
		defaultBackend, defaultErr = NewBackend(defaultChoice)
	})
	return defaultBackend, defaultChoice, defaultErr
}

// MustBackend is Backend for notebook cells and examples: it panics if the backend
// cannot be created. Library code and commands use Backend and return the error.
func MustBackend() compute.Backend {
	b, _, err := Backend()
	if err != nil {
		panic(err)
	}
	return b
}
