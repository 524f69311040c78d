package fer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// killChildEnv, when set, makes TestCheckpointKillResume run as the child
// process that trains (with checkpoints in the directory it names) until it
// is killed.
const killChildEnv = "FER_TEST_KILL_CHILD_DIR"

// killTestModel is a small model that still has every kind of state a
// checkpoint must carry: weights, batch-normalization averages, Adam's
// moments and step, and the random state of dropout.
func killTestModel(t testing.TB) *Model {
	m, err := NewSequential(Input(2),
		Dense{Units: 16, Activation: ActReLU}, BatchNormalization{}, Dropout{Rate: 0.2},
		Dense{Units: 1, Activation: ActSigmoid})
	if err != nil {
		t.Fatal(err)
	}
	m.WithName("kill-test").WithSeed(7)
	if err := m.Compile(Adam(0.01), BinaryCrossEntropy); err != nil {
		t.Fatal(err)
	}
	return m
}

func killTestData() (train, val Data) {
	return testCircles(6000, 0.1, 1), testCircles(400, 0.1, 2)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCheckpointKillResume trains in a child process, kills it with SIGKILL
// in the middle of an epoch after a checkpoint was saved, resumes from the
// checkpoint and checks that training continued from the saved epoch and
// ends exactly where an uninterrupted run with the same seed ends.
func TestCheckpointKillResume(t *testing.T) {
	needBackend(t)
	train, val := killTestData()
	if dir := os.Getenv(killChildEnv); dir != "" {
		// Child: train "forever" (far more epochs than the parent waits for).
		m := killTestModel(t)
		_, err := m.Fit(train, FitOptions{Epochs: 1000, BatchSize: 8, Validation: &val, CheckpointDir: dir, Progress: os.Stdout})
		t.Fatalf("the child should have been killed; Fit returned %v", err)
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}

	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillResume$", "-test.v")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Wait for the first checkpoint, then for the child to be half-way
	// through the next epoch.
	first := filepath.Join(dir, "epoch-000001.ckpt")
	for {
		if _, err := os.Stat(first); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("child exited before its first checkpoint (%v):\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(start) > 3*time.Minute {
			_ = cmd.Process.Kill()
			t.Fatalf("no checkpoint after 3 minutes:\n%s", out.String())
		}
	}
	epochTime := time.Since(start)
	time.Sleep(epochTime / 3)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-done

	_, saved, err := LatestCheckpoint(dir)
	if err != nil || saved < 1 {
		t.Fatalf("LatestCheckpoint = %d, %v", saved, err)
	}
	childOut := out.String()
	if !strings.Contains(childOut, fmt.Sprintf("Epoch %d/1000", saved+1)) {
		t.Fatalf("the child was not killed during epoch %d:\n%s", saved+1, childOut)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".epoch-*"))
	t.Logf("killed during epoch %d (%d checkpoint(s) saved, %d temporary file(s) left)", saved+1, saved, len(tmps))

	// Resume: run to two epochs past the saved one.
	total := saved + 2
	resumed := killTestModel(t)
	var log bytes.Buffer
	h, err := resumed.Fit(train, FitOptions{Epochs: total, BatchSize: 8, Validation: &val, CheckpointDir: dir, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d epoch(s) done, training to epoch %d", saved, total); !strings.Contains(log.String(), want) {
		t.Errorf("resumed run does not say %q:\n%s", want, log.String())
	}
	if n := strings.Count(log.String(), "Epoch "); n != 2 {
		t.Errorf("resumed run trained %d epochs, want 2:\n%s", n, log.String())
	}
	wantEpochs := make([]int, total)
	for i := range wantEpochs {
		wantEpochs[i] = i + 1
	}
	if !slices.Equal(h.Epoch, wantEpochs) {
		t.Errorf("history epochs %v, want %v", h.Epoch, wantEpochs)
	}

	// The same run without interruption.
	ref := killTestModel(t)
	hr, err := ref.Fit(train, FitOptions{Epochs: total, BatchSize: 8, Validation: &val, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.Loss, hr.Loss) || !slices.Equal(h.ValLoss, hr.ValLoss) || !slices.Equal(h.ValAccuracy, hr.ValAccuracy) {
		t.Errorf("resumed history differs from an uninterrupted run:\nresumed:\n%s\nuninterrupted:\n%s", h, hr)
	}
	_, acc, err := resumed.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 || acc != h.Last().ValAccuracy {
		t.Errorf("resumed model's validation accuracy %.4f (history says %.4f), want > 0.9 (chance is 0.5)", acc, h.Last().ValAccuracy)
	}
	t.Logf("resumed from epoch %d to %d in %s; validation accuracy %.4f, same history as the uninterrupted run",
		saved, total, time.Since(start).Round(time.Millisecond), acc)
}

func TestCheckpointSaveLoad(t *testing.T) {
	needBackend(t)
	train, val := killTestData()
	train = train.Head(500)
	dir := t.TempDir()
	m := killTestModel(t)
	if _, err := m.Fit(train, FitOptions{Epochs: 3, Validation: &val, CheckpointDir: dir, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(val)
	if err != nil {
		t.Fatal(err)
	}
	// Only the newest two are kept.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 2 || filepath.Base(files[0]) != "epoch-000002.ckpt" || filepath.Base(files[1]) != "epoch-000003.ckpt" {
		t.Errorf("checkpoint dir holds %v, want epochs 2 and 3", files)
	}

	m2 := killTestModel(t)
	if err := m2.LoadCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	got, err := m2.Predict(val)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Epochs() != 3 || m2.History().Len() != 3 || !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("loaded model: %d epochs, history of %d; predictions equal: %v", m2.Epochs(), m2.History().Len(), slices.EqualFunc(got, want, slices.Equal))
	}

	// A corrupt newest checkpoint (it cannot happen with atomic writes, but
	// disks fail) falls back to the previous one.
	newest := filepath.Join(dir, "epoch-000003.ckpt")
	data, _ := os.ReadFile(newest)
	if err := os.WriteFile(newest, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	m3 := killTestModel(t)
	if err := m3.LoadCheckpoint(dir); err != nil || m3.Epochs() != 2 {
		t.Errorf("with a truncated newest checkpoint: epochs %d, err %v; want 2, nil", m3.Epochs(), err)
	}

	// Another architecture refuses the checkpoint.
	other := CirclesFC()
	if err := other.LoadCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "different layers") {
		t.Errorf("loading into another architecture: %v", err)
	}
	// An empty directory has none.
	if err := m3.LoadCheckpoint(t.TempDir()); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("empty dir: %v, want ErrNoCheckpoint", err)
	}
}
