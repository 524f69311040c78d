package kernel

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckCountsImagesAndErrors(t *testing.T) {
	nb := map[string]any{
		"cells": []any{
			map[string]any{"cell_type": "markdown", "source": "# title"},
			map[string]any{"cell_type": "code", "outputs": []any{
				map[string]any{"output_type": "display_data", "data": map[string]any{"image/png": "iVBOR"}},
				map[string]any{"output_type": "display_data", "data": map[string]any{"text/html": "<b>x</b>"}},
			}},
			map[string]any{"cell_type": "code", "outputs": []any{
				map[string]any{"output_type": "stream", "name": "stderr", "text": []string{"some log\n", "panic: boom\n"}},
			}},
			map[string]any{"cell_type": "code", "outputs": []any{
				map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "failed to run\nmore"},
			}},
		},
	}
	data, _ := json.Marshal(nb)
	r, err := Check(data, "x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if r.Cells != 3 || r.Images != 1 || r.HTML != 1 || len(r.Errors) != 2 || r.OK() {
		t.Fatalf("report = %+v", r)
	}
	if !strings.Contains(r.Errors[0], "panic: boom") || !strings.Contains(r.Errors[1], "failed to run") {
		t.Errorf("errors = %q", r.Errors)
	}
	if _, err := Check([]byte("{not json"), "bad.ipynb"); err == nil || !strings.Contains(err.Error(), "bad.ipynb") {
		t.Errorf("bad JSON: err = %v, want one naming the file", err)
	}
}

func TestFindModuleRoot(t *testing.T) {
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kernel", "kernel.go")); err != nil {
		t.Errorf("root %s does not hold this package: %v", root, err)
	}
	if _, err := FindModuleRoot(t.TempDir()); err == nil {
		t.Error("want an error outside the module")
	}
}

// TestInstallTwiceUninstallAndExecute installs the kernel into a fresh Jupyter
// data dir (twice: it must be harmless), executes a generated notebook that
// imports this module through the real Jupyter and GoNB, and uninstalls.
func TestInstallTwiceUninstallAndExecute(t *testing.T) {
	if testing.Short() {
		t.Skip("builds GoNB and runs Jupyter; skipped with -short")
	}
	dataDir := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", dataDir)
	for i := 0; i < 2; i++ {
		spec, dir, err := Install(Options{JupyterDataDir: dataDir})
		if err != nil {
			t.Fatalf("install %d: %v", i+1, err)
		}
		if dir != Dir(dataDir) || spec.DisplayName != DisplayName || spec.Env["GOEXPERIMENT"] != "simd" {
			t.Fatalf("install %d: dir %s spec %+v", i+1, dir, spec)
		}
		if !strings.HasPrefix(spec.Argv[3], "--go_work=") {
			t.Errorf("argv %v lacks --go_work", spec.Argv)
		}
	}
	got, err := Installed(dataDir)
	if err != nil || got.DisplayName != DisplayName {
		t.Fatalf("installed: %+v, %v", got, err)
	}

	if _, err := exec.LookPath("jupyter"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("jupyter missing in CI")
		}
		t.Log("jupyter not installed: skipping the execution part")
	} else {
		nb := filepath.Join(t.TempDir(), "probe.ipynb")
		writeNotebook(t, nb, []string{
			"import (\n\t\"fmt\"\n\t\"github.com/fer-thesis/fer/kernel\"\n)\n\n%%\nfmt.Println(\"module:\", kernel.ModulePath)",
			"%%\nfmt.Println(\"second cell\")",
			// fer.Fit's progress bar: an HTML display updated in place.
			"import \"github.com/fer-thesis/fer/fer\"\n\n%%\n" +
				"m, _ := fer.NewSequential(fer.Input(2), fer.Dense{Units: 1, Activation: fer.ActSigmoid})\n" +
				"pts := make([][2]float64, 64)\nlabels := make([]int, 64)\n" +
				"for i := range pts { pts[i] = [2]float64{float64(i%8), float64(i/8)}; labels[i] = i % 2 }\n" +
				"if _, err := m.Fit(fer.FromPoints(pts, labels), fer.FitOptions{Epochs: 2}); err != nil { panic(err) }",
		})
		rep, err := Execute(nb, RunOptions{OutDir: t.TempDir(), Mode: "quick", Timeout: 10 * time.Minute})
		if err != nil {
			t.Fatalf("execute: %v", err)
		}
		if rep.Cells != 3 || !rep.OK() {
			t.Fatalf("report %+v", rep)
		}
		out, _ := os.ReadFile(rep.Path)
		if !strings.Contains(string(out), "module: github.com/fer-thesis/fer") {
			t.Errorf("executed notebook lacks the cell's output:\n%s", out)
		}
		// The saved notebook keeps the display's last state: epoch 2, both
		// batches done, as one display (updated, not appended to).
		if n := strings.Count(string(out), "<progress value"); n != 1 {
			t.Errorf("want one progress display, found %d:\n%s", n, out)
		} else if !strings.Contains(string(out), "Epoch 2/2 <progress value=\\\"2\\\" max=\\\"2\\\"") {
			t.Errorf("progress display is not in its final state:\n%s", out)
		}

		bad := filepath.Join(t.TempDir(), "bad.ipynb")
		writeNotebook(t, bad, []string{"%%\nvar x int = \"not an int\"\n_ = x"})
		if _, err := Execute(bad, RunOptions{OutDir: t.TempDir(), Timeout: 5 * time.Minute}); err == nil {
			t.Error("a notebook with a compile error executed without error")
		}
	}

	if _, err := Uninstall(dataDir); err != nil {
		t.Fatal(err)
	}
	if _, err := Installed(dataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after uninstall: %v, want not-exist", err)
	}
	if _, err := Uninstall(dataDir); err != nil {
		t.Errorf("second uninstall: %v", err)
	}
}

func writeNotebook(t *testing.T, path string, sources []string) {
	t.Helper()
	cells := []any{}
	for _, s := range sources {
		cells = append(cells, map[string]any{"cell_type": "code", "execution_count": nil, "metadata": map[string]any{}, "outputs": []any{}, "source": s})
	}
	nb := map[string]any{
		"cells":          cells,
		"metadata":       map[string]any{"kernelspec": map[string]any{"name": Name, "display_name": DisplayName, "language": "go"}},
		"nbformat":       4,
		"nbformat_minor": 5,
	}
	data, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInterruptTraining presses the kernel's stop button (a Jupyter
// interrupt) during a long fer.Fit and checks that the cell stops promptly
// and the kernel keeps working (testdata/interrupt.py, through
// jupyter_client, which Jupyter brings).
func TestInterruptTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds GoNB and runs Jupyter; skipped with -short")
	}
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import jupyter_client").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("jupyter_client missing in CI")
		}
		t.Skip("no jupyter_client")
	}
	dataDir := t.TempDir()
	if _, _, err := Install(Options{JupyterDataDir: dataDir}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/interrupt.py")
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+dataDir)
	out, err := cmd.CombinedOutput()
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "progress") || strings.HasPrefix(l, "next cell") {
			lines = append(lines, l)
		}
	}
	t.Log(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(string(out), 3000))
	}
}

func TestCellTimeoutByMode(t *testing.T) {
	for _, c := range []struct {
		opts RunOptions
		want time.Duration
	}{
		{RunOptions{}, QuickTimeout},
		{RunOptions{Mode: "quick"}, QuickTimeout},
		{RunOptions{Mode: "full"}, FullTimeout},
		{RunOptions{Mode: "full", Timeout: time.Minute}, time.Minute},
	} {
		if got := c.opts.cellTimeout(); got != c.want {
			t.Errorf("%+v: timeout %v, want %v", c.opts, got, c.want)
		}
	}
	if FullTimeout < 2*time.Hour {
		t.Errorf("FullTimeout %v: chapter 6's CNN cell alone takes about an hour on 2 cores", FullTimeout)
	}
}
