package fer

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gomlx/gomlx/ui/notebooks"
	"github.com/janpfeifer/gonb/gonbui"
)

// progress prints Keras-style training progress:
//
//	Epoch 3/10
//	188/188 [==============================] - 41s 218ms/step - loss: 0.1412 - accuracy: 0.9567 - val_loss: ...
//
// On a terminal the bar is redrawn in place as the epoch runs. In a notebook
// (GoNB or bash_kernel, detected as GoMLX does) or when writing to a file or
// pipe only the finished line of each epoch is printed: carriage returns do
// not render there — except in GoNB when writing to os.Stdout (Fit's
// default), where an HTML progress bar above those lines is updated in place
// (a Jupyter display that the kernel updates; in a saved notebook it keeps
// its last state). GoMLX's own progress bar (ui/commandline) counts steps of
// a train.Loop and writes to os.Stdout; this one counts epochs, shows the
// validation metrics and writes where the caller asks.
type progress struct {
	w        io.Writer
	live     bool
	htmlID   string // GoNB display updated in place; "" when not in a notebook
	epoch    int
	epochs   int
	steps    int
	start    time.Time
	lastDraw time.Time
}

// newProgress returns a progress printer writing to w (nil: discard).
func newProgress(w io.Writer, epochs int) *progress {
	p := &progress{w: w, epochs: epochs}
	if w == nil {
		p.w = io.Discard
		return p
	}
	if w == os.Stdout && gonbui.IsNotebook {
		p.htmlID = "fer-progress-" + gonbui.UniqueID()
	}
	if f, ok := w.(*os.File); ok && !notebooks.IsNotebook() {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.live = true
		}
	}
	return p
}

// beginEpoch starts epoch (1-based) of steps batches.
func (p *progress) beginEpoch(epoch, steps int) {
	p.steps = steps
	p.start = time.Now()
	p.lastDraw = time.Time{}
	p.epoch = epoch
	fmt.Fprintf(p.w, "Epoch %d/%d\n", epoch, p.epochs)
}

// step reports that done batches of the epoch are finished, with the running
// mean loss and accuracy.
func (p *progress) step(done int, loss, acc float64) {
	if p.htmlID != "" {
		if time.Since(p.lastDraw) >= 500*time.Millisecond || done == p.steps {
			p.lastDraw = time.Now()
			elapsed := time.Since(p.start)
			eta := time.Duration(float64(elapsed) / float64(done) * float64(p.steps-done))
			p.drawHTML(done, fmt.Sprintf("%s elapsed · ETA %s · loss %.4f · accuracy %.4f", roundDuration(elapsed), roundDuration(eta), loss, acc))
		}
		return
	}
	if !p.live || (time.Since(p.lastDraw) < 250*time.Millisecond && done < p.steps) {
		return
	}
	p.lastDraw = time.Now()
	elapsed := time.Since(p.start)
	eta := time.Duration(float64(elapsed) / float64(done) * float64(p.steps-done))
	fmt.Fprintf(p.w, "\r%s - ETA: %s - loss: %.4f - accuracy: %.4f\033[K", p.bar(done), roundDuration(eta), loss, acc)
}

// drawHTML updates the in-place HTML progress bar of a notebook.
func (p *progress) drawHTML(done int, text string) {
	gonbui.UpdateHTML(p.htmlID, fmt.Sprintf(`<div style="font-family: monospace; font-size: 13px;">Epoch %d/%d `+
		`<progress value="%d" max="%d" style="width: 240px; vertical-align: middle;"></progress> %d/%d · %s</div>`,
		p.epoch, p.epochs, done, max(p.steps, 1), done, p.steps, html.EscapeString(text)))
}

// endEpoch prints the epoch's final line.
func (p *progress) endEpoch(e EpochMetrics) {
	if p.htmlID != "" {
		text := fmt.Sprintf("%s · loss %.4f · accuracy %.4f", roundDuration(time.Duration(e.Seconds*float64(time.Second))), e.Loss, e.Accuracy)
		if e.HasValidation {
			text += fmt.Sprintf(" · val_loss %.4f · val_accuracy %.4f", e.ValLoss, e.ValAccuracy)
		}
		p.drawHTML(p.steps, text)
		// Wait until GoNB has the update: a cell's program that ends right
		// after Fit can otherwise exit before GoNB reads it, and the display
		// is lost (seen in CI with a Fit of a few milliseconds).
		gonbui.Sync()
	}
	per := time.Duration(e.Seconds / float64(max(p.steps, 1)) * float64(time.Second))
	var sb strings.Builder
	if p.live {
		sb.WriteString("\r")
	}
	fmt.Fprintf(&sb, "%s - %s %s/step - loss: %.4f - accuracy: %.4f", p.bar(p.steps),
		roundDuration(time.Duration(e.Seconds*float64(time.Second))), roundDuration(per), e.Loss, e.Accuracy)
	if e.HasValidation {
		fmt.Fprintf(&sb, " - val_loss: %.4f - val_accuracy: %.4f", e.ValLoss, e.ValAccuracy)
	}
	if p.live {
		sb.WriteString("\033[K")
	}
	sb.WriteString("\n")
	io.WriteString(p.w, sb.String())
}

// note prints a line of information (resuming, early stopping).
func (p *progress) note(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// bar draws "123/188 [===========>..................]".
func (p *progress) bar(done int) string {
	const width = 30
	filled := width
	if p.steps > 0 {
		filled = width * done / p.steps
	}
	var b string
	switch {
	case filled >= width:
		b = strings.Repeat("=", width)
	default:
		b = strings.Repeat("=", filled) + ">" + strings.Repeat(".", width-filled-1)
	}
	n := len(fmt.Sprint(p.steps))
	return fmt.Sprintf("%*d/%d [%s]", n, done, p.steps, b)
}

// roundDuration formats d like Keras: "41s", "218ms", "3m12s".
func roundDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", int(d.Round(time.Millisecond)/time.Millisecond))
	}
	return fmt.Sprintf("%dus", int(d/time.Microsecond))
}
