// Package kernel installs the Jupyter kernel that runs this project's
// notebooks: GoNB, built from the version pinned in go.mod, registered under
// the kernelspec name "fer" with the display name "Go (fer)".
//
// GoNB compiles every cell in a temporary Go module and resolves its imports
// with "go get", which needs the module proxy's list endpoint; offline (and
// on machines where that endpoint is refused) a cell importing GoMLX fails.
// The kernelspec written here starts GoNB with --go_work=<module root>, so
// every notebook begins with a go.work that uses this module: its packages,
// and every dependency it pins, resolve locally with no network lookup.
package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Name is the kernelspec directory name; DisplayName is what Jupyter shows.
const (
	Name        = "fer"
	DisplayName = "Go (fer)"
	// ModulePath is the import path of this project's module.
	ModulePath = "github.com/fer-thesis/fer"
)

// Options configures Install.
type Options struct {
	// ModuleRoot is the directory holding this project's go.mod. Empty means
	// search upwards from the working directory.
	ModuleRoot string
	// JupyterDataDir is where kernelspecs live. Empty means $JUPYTER_DATA_DIR,
	// else ~/.local/share/jupyter (Linux) or ~/Library/Jupyter (macOS).
	JupyterDataDir string
	// Env is added to the kernel's environment (it overrides the defaults:
	// GOEXPERIMENT=simd, GOTOOLCHAIN=local, FER_MODULE_ROOT, and FER_DATA_DIR and
	// GOMLX_BACKEND when they are set at install time).
	Env map[string]string
	// Log receives progress messages; nil discards them.
	Log io.Writer
}

// Spec is the content of a kernel.json file.
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// DataDir returns the Jupyter data directory Install and Uninstall use when
// none is given.
func DataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the Jupyter data dir: %w (set JUPYTER_DATA_DIR)", err)
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Jupyter"), nil
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// Dir returns the kernelspec directory inside a Jupyter data directory.
func Dir(jupyterDataDir string) string { return filepath.Join(jupyterDataDir, "kernels", Name) }

// FindModuleRoot walks up from start to the directory whose go.mod declares
// ModulePath.
func FindModuleRoot(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePathOf(data) == ModulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for module %s found in %s or its parents", ModulePath, start)
		}
		dir = parent
	}
}

func modulePathOf(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// Install builds GoNB and goimports from the versions pinned in the module's
// go.mod into the kernelspec's bin directory and writes kernel.json. It is
// idempotent: installing again rebuilds and rewrites the same files.
func Install(opts Options) (*Spec, string, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	root := opts.ModuleRoot
	var err error
	if root == "" {
		if root, err = FindModuleRoot("."); err != nil {
			return nil, "", err
		}
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, "", fmt.Errorf("module root %s: %w", root, err)
	}
	dataDir := opts.JupyterDataDir
	if dataDir == "" {
		if dataDir, err = DataDir(); err != nil {
			return nil, "", err
		}
	}
	kdir := Dir(dataDir)
	bin := filepath.Join(kdir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, "", fmt.Errorf("creating kernel dir: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, "", fmt.Errorf("the go command is needed to build the kernel and to run notebooks: %w", err)
	}
	for _, tool := range []struct{ name, pkg string }{
		{"gonb", "github.com/janpfeifer/gonb"},
		{"goimports", "golang.org/x/tools/cmd/goimports"},
	} {
		fmt.Fprintf(logw, "building %s (pinned in %s/go.mod) into %s\n", tool.pkg, root, bin)
		cmd := exec.Command(goBin, "build", "-o", filepath.Join(bin, tool.name), tool.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, "", fmt.Errorf("building %s: %w\n%s", tool.pkg, err, out.String())
		}
	}
	env := map[string]string{
		"PATH":            strings.Join([]string{bin, filepath.Dir(goBin), os.Getenv("PATH")}, string(os.PathListSeparator)),
		"GOEXPERIMENT":    "simd",
		"GOTOOLCHAIN":     "local",
		"FER_MODULE_ROOT": root,
	}
	for _, k := range []string{"FER_DATA_DIR", "GOMLX_BACKEND", "PJRT_PLUGIN_LIBRARY_PATH", "GOPROXY", "GOFLAGS"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	spec := &Spec{
		Argv:          []string{filepath.Join(bin, "gonb"), "--kernel", "{connection_file}", "--go_work=" + root},
		DisplayName:   DisplayName,
		Language:      "go",
		InterruptMode: "message",
		Env:           env,
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, "", err
	}
	if err := writeFileAtomic(filepath.Join(kdir, "kernel.json"), append(data, '\n')); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(logw, "installed kernelspec %q (%s) in %s\n", Name, DisplayName, kdir)
	return spec, kdir, nil
}

// Uninstall removes the kernelspec directory and the binaries in it. It is not
// an error if the kernel is not installed.
func Uninstall(jupyterDataDir string) (string, error) {
	if jupyterDataDir == "" {
		var err error
		if jupyterDataDir, err = DataDir(); err != nil {
			return "", err
		}
	}
	kdir := Dir(jupyterDataDir)
	if err := os.RemoveAll(kdir); err != nil {
		return kdir, fmt.Errorf("removing %s: %w", kdir, err)
	}
	return kdir, nil
}

// Installed reads the kernelspec installed in jupyterDataDir ("" for the
// default), or returns an error wrapping fs.ErrNotExist when there is none.
func Installed(jupyterDataDir string) (*Spec, error) {
	if jupyterDataDir == "" {
		var err error
		if jupyterDataDir, err = DataDir(); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(Dir(jupyterDataDir), "kernel.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kernel %q: %w", Name, err)
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("%s: empty argv", path)
	}
	return &s, nil
}

// writeFileAtomic writes data to a temporary file in the same directory and
// renames it over path, so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
