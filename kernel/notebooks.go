package kernel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Report summarises an executed notebook.
type Report struct {
	Path     string        // the executed copy
	Cells    int           // code cells
	Images   int           // image/png outputs
	HTML     int           // text/html outputs
	Errors   []string      // one line per error output (or panic printed to stderr)
	Duration time.Duration // wall time of the execution
}

// OK reports whether the notebook ran without error outputs.
func (r *Report) OK() bool { return len(r.Errors) == 0 }

func (r *Report) String() string {
	status := "ok"
	if !r.OK() {
		status = fmt.Sprintf("%d ERRORS", len(r.Errors))
	}
	return fmt.Sprintf("%s: %d code cells, %d PNG figures, %d HTML outputs, %s, %s",
		filepath.Base(r.Path), r.Cells, r.Images, r.HTML, r.Duration.Round(time.Second), status)
}

type nbOutput struct {
	OutputType string          `json:"output_type"`
	Name       string          `json:"name"`
	Text       json.RawMessage `json:"text"`
	Data       map[string]any  `json:"data"`
	Ename      string          `json:"ename"`
	Evalue     string          `json:"evalue"`
}

type nbCell struct {
	CellType string     `json:"cell_type"`
	Outputs  []nbOutput `json:"outputs"`
}

type notebook struct {
	Cells []nbCell `json:"cells"`
}

// textOf decodes a notebook multiline string (a string or a list of strings).
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	if json.Unmarshal(raw, &parts) == nil {
		return strings.Join(parts, "")
	}
	return ""
}

// Check inspects an executed notebook (.ipynb JSON): it counts code cells,
// image/png and text/html outputs, and collects error outputs and Go panics
// or compile errors printed to stderr.
func Check(data []byte, name string) (*Report, error) {
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("%s: not a notebook: %w", name, err)
	}
	r := &Report{Path: name}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		r.Cells++
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				r.Errors = append(r.Errors, fmt.Sprintf("cell %d: %s: %s", i, o.Ename, firstLine(o.Evalue)))
			case "stream":
				if o.Name == "stderr" {
					t := textOf(o.Text)
					for _, marker := range []string{"panic:", "goroutine 1 [running]", "undefined:", "cannot use", "exit status"} {
						if strings.Contains(t, marker) {
							r.Errors = append(r.Errors, fmt.Sprintf("cell %d: stderr: %s", i, firstLine(t[strings.Index(t, marker):])))
							break
						}
					}
				}
			}
			if _, ok := o.Data["image/png"]; ok {
				r.Images++
			}
			if _, ok := o.Data["text/html"]; ok {
				r.HTML++
			}
		}
	}
	return r, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Default per-cell timeouts of Execute. In full mode a single training cell
// runs for an hour or more on a CPU (chapter 6's CNN: about 1 h on 2 cores;
// chapter 8's: many hours), so the full-mode limit only guards against a hang.
const (
	QuickTimeout = 30 * time.Minute
	FullTimeout  = 24 * time.Hour
)

// RunOptions configures Execute.
type RunOptions struct {
	OutDir  string        // where executed copies (and HTML) go; created if missing
	Mode    string        // FER_MODE for the notebooks: "quick" or "full"
	Timeout time.Duration // per-cell timeout given to nbconvert; 0: QuickTimeout, or FullTimeout in full mode
	HTML    bool          // also export each executed notebook to HTML
	Log     io.Writer     // nbconvert's output; nil discards it
	Kernel  string        // kernelspec name; default Name
}

// cellTimeout is the per-cell timeout to use: Timeout, or by default
// QuickTimeout (FullTimeout in full mode).
func (o RunOptions) cellTimeout() time.Duration {
	switch {
	case o.Timeout > 0:
		return o.Timeout
	case o.Mode == "full":
		return FullTimeout
	}
	return QuickTimeout
}

// Execute runs a notebook headless through Jupyter's nbconvert with the
// installed kernel, writes the executed copy into opts.OutDir and returns
// its report. An error is returned when nbconvert fails or the notebook has
// error outputs; the report is returned in both cases when it could be read.
func Execute(path string, opts RunOptions) (*Report, error) {
	if opts.Kernel == "" {
		opts.Kernel = Name
	}
	opts.Timeout = opts.cellTimeout()
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	jupyter, err := exec.LookPath("jupyter")
	if err != nil {
		return nil, fmt.Errorf("jupyter is not installed (Debian: apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel): %w", err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, err
	}
	outDir, err := filepath.Abs(opts.OutDir)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	start := time.Now()
	cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.kernel_name="+opts.Kernel,
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", int(opts.Timeout.Seconds())),
		"--output-dir", outDir, "--output", base, path)
	cmd.Env = os.Environ()
	if opts.Mode != "" {
		cmd.Env = append(cmd.Env, "FER_MODE="+opts.Mode)
	}
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(opts.Log, &buf)
	cmd.Stderr = io.MultiWriter(opts.Log, &buf)
	runErr := cmd.Run()
	executed := filepath.Join(outDir, base+".ipynb")
	data, readErr := os.ReadFile(executed)
	if runErr != nil && readErr != nil {
		return nil, fmt.Errorf("executing %s: %w\n%s", path, runErr, tail(buf.String(), 3000))
	}
	if readErr != nil {
		return nil, fmt.Errorf("executing %s: no executed copy: %w", path, readErr)
	}
	rep, err := Check(data, executed)
	if err != nil {
		return nil, err
	}
	rep.Duration = time.Since(start)
	if runErr != nil {
		return rep, fmt.Errorf("executing %s: %w\n%s", path, runErr, tail(buf.String(), 3000))
	}
	if !rep.OK() {
		return rep, fmt.Errorf("%s has error outputs:\n  %s", path, strings.Join(rep.Errors, "\n  "))
	}
	if opts.HTML {
		cmd := exec.Command(jupyter, "nbconvert", "--to", "html", "--output-dir", outDir, executed)
		var hb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &hb, &hb
		if err := cmd.Run(); err != nil {
			return rep, fmt.Errorf("exporting %s to HTML: %w\n%s", executed, err, tail(hb.String(), 2000))
		}
	}
	return rep, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
