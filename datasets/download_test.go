package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestDownloadFiles serves generated MNIST-like files from a local server
// (never the real network) and checks download, verification and caching.
func TestDownloadFiles(t *testing.T) {
	src := t.TempDir()
	fakeMNIST(t, src, 12, 5, true)
	var files []MNISTFile
	for _, f := range MNISTFiles {
		data, err := os.ReadFile(filepath.Join(src, f.Name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		files = append(files, MNISTFile{Name: f.Name, Magic: f.Magic, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	}
	var requests atomic.Int32
	var corrupt atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		data, err := os.ReadFile(filepath.Join(src, filepath.Base(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if corrupt.Load() {
			data[len(data)/2] ^= 1
		}
		w.Write(data)
	}))
	defer srv.Close()

	cache := filepath.Join(t.TempDir(), "mnist")
	ctx := context.Background()
	if err := DownloadFiles(ctx, srv.Client(), cache, srv.URL+"/files", files); err != nil {
		t.Fatal(err)
	}
	if got := requests.Load(); got != 4 {
		t.Errorf("%d requests, want 4", got)
	}
	m, err := LoadMNIST(cache)
	if err != nil {
		t.Fatal(err)
	}
	if m.Train.Len() != 12 || m.Test.Len() != 5 {
		t.Errorf("loaded %d/%d", m.Train.Len(), m.Test.Len())
	}
	// Second call: everything cached, no request.
	if err := DownloadFiles(ctx, srv.Client(), cache, srv.URL+"/files/", files); err != nil {
		t.Fatal(err)
	}
	if got := requests.Load(); got != 4 {
		t.Errorf("%d requests after the cached call, want 4", got)
	}
	// A corrupted download is rejected and leaves nothing behind.
	os.Remove(filepath.Join(cache, "t10k-labels-idx1-ubyte.gz"))
	corrupt.Store(true)
	err = DownloadFiles(ctx, srv.Client(), cache, srv.URL+"/files", files)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("corrupt download: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "t10k-labels-idx1-ubyte.gz")); err == nil {
		t.Error("corrupt file kept")
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 3 {
		t.Errorf("%d files in the cache, want 3 (no temporary left)", len(entries))
	}
	// A cached file with a wrong checksum is reported, not overwritten.
	os.WriteFile(filepath.Join(cache, "t10k-labels-idx1-ubyte.gz"), []byte("junk"), 0o644)
	if err := DownloadFiles(ctx, srv.Client(), cache, srv.URL+"/files", files); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("bad cached file: %v", err)
	}
}

// TestDownloadOffline checks the message when the server cannot be reached.
func TestDownloadOffline(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	cache := t.TempDir()
	err := DownloadMNIST(cache, url)
	if err == nil {
		t.Fatal("no error without a server")
	}
	for _, want := range []string{"no network?", cache, "train-images-idx3-ubyte.gz", DataDirEnv} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
