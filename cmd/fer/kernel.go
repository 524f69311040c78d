package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/fer-thesis/fer/kernel"
)

func init() {
	register("kernel", "install, uninstall or show the \"Go (fer)\" Jupyter kernel", runKernel)
	register("notebooks", "execute notebooks headless through the kernel and check their outputs", runNotebooks)
}

func runKernel(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: fer kernel install|uninstall|status [--jupyter-data-dir DIR] [--root DIR]")
		return errUsage
	}
	fs := newFlagSet("kernel "+args[0], stderr)
	dataDir := fs.String("jupyter-data-dir", "", "Jupyter data dir (default $JUPYTER_DATA_DIR or ~/.local/share/jupyter)")
	root := fs.String("root", "", "this module's root (default: found from the working directory)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	switch args[0] {
	case "install":
		_, dir, err := kernel.Install(kernel.Options{ModuleRoot: *root, JupyterDataDir: *dataDir, Log: stdout})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "kernel %q ready: %s\n", kernel.DisplayName, filepath.Join(dir, "kernel.json"))
	case "uninstall":
		dir, err := kernel.Uninstall(*dataDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", dir)
	case "status":
		spec, err := kernel.Installed(*dataDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %v\n", spec.DisplayName, spec.Argv)
		keys := make([]string, 0, len(spec.Env))
		for k := range spec.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(stdout, "  %s=%s\n", k, spec.Env[k])
		}
	default:
		fmt.Fprintf(stderr, "fer kernel: unknown action %q (want install, uninstall or status)\n", args[0])
		return errUsage
	}
	return nil
}

func runNotebooks(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("notebooks", stderr)
	out := fs.String("out", "out/notebooks", "folder for the executed copies and HTML (outside the tracked tree)")
	mode := fs.String("mode", envOr("FER_MODE", "quick"), "quick (subsets, few epochs) or full (the thesis's settings)")
	html := fs.Bool("html", true, "also export HTML")
	update := fs.Bool("update", false, "copy each executed notebook back over its source (to commit outputs of a real run)")
	minImages := fs.Int("min-images", 0, "fail if a notebook with code cells has fewer image/png outputs than this")
	timeout := fs.Duration("timeout", 0, "per-cell timeout (0: 30m in quick mode, 24h in full mode, where one training cell can run for hours)")
	verbose := fs.Bool("v", false, "show nbconvert's output")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *mode != "quick" && *mode != "full" {
		return fmt.Errorf("--mode %q: want quick or full", *mode)
	}
	if *timeout < 0 {
		return fmt.Errorf("--timeout %v: want a positive duration, or 0 for the mode's default", *timeout)
	}
	paths := fs.Args()
	if len(paths) == 0 {
		m, err := filepath.Glob(filepath.Join("notebooks", "*.ipynb"))
		if err != nil {
			return err
		}
		paths = m
	}
	if len(paths) == 0 {
		return errors.New("no notebooks found (run from the repository root or name them)")
	}
	if _, err := kernel.Installed(""); err != nil {
		return fmt.Errorf("%w; install it first with: go run ./cmd/fer kernel install", err)
	}
	var failed []string
	for _, p := range paths {
		fmt.Fprintf(stdout, "executing %s (FER_MODE=%s) ...\n", p, *mode)
		var logw io.Writer = io.Discard
		if *verbose {
			logw = stderr
		}
		rep, err := kernel.Execute(p, kernel.RunOptions{OutDir: *out, Mode: *mode, HTML: *html, Timeout: *timeout, Log: logw})
		if rep != nil {
			fmt.Fprintf(stdout, "  %s\n", rep)
		}
		if err == nil && rep.Cells > 0 && rep.Images < *minImages { // a prose-only notebook (the index) has no figures to check
			err = fmt.Errorf("%s: %d image/png outputs, want at least %d", p, rep.Images, *minImages)
		}
		if err != nil {
			fmt.Fprintf(stderr, "  FAILED: %v\n", err)
			failed = append(failed, p)
			continue
		}
		if *update {
			data, err := os.ReadFile(rep.Path)
			if err == nil {
				err = os.WriteFile(p, data, 0o644)
			}
			if err != nil {
				return fmt.Errorf("updating %s: %w", p, err)
			}
			fmt.Fprintf(stdout, "  updated %s with the executed outputs\n", p)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d notebooks failed: %v", len(failed), len(paths), failed)
	}
	fmt.Fprintf(stdout, "all %d notebooks executed; copies in %s\n", len(paths), *out)
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
