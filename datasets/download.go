package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultMNISTURL is a public mirror of the original MNIST files (Yann
// LeCun's page no longer serves them to programs).
const DefaultMNISTURL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

// DownloadMNIST makes sure the four gzipped MNIST files are in cacheDir
// (usually filepath.Join(DataDir(), "mnist")), downloading each missing one
// from baseURL (DefaultMNISTURL if empty) and checking its size and SHA-256
// against MNISTFiles. Files already there with the right checksum are not
// downloaded again. Without a network it fails with a message saying where
// to put the files.
func DownloadMNIST(cacheDir, baseURL string) error {
	return DownloadFiles(context.Background(), nil, cacheDir, baseURL, MNISTFiles)
}

// DownloadFiles is DownloadMNIST for any list of files (each fetched as
// baseURL + Name + ".gz" and stored as cacheDir/Name.gz) with an HTTP
// client (nil: one with a 5-minute timeout). A download is written to a
// temporary file and renamed only after its checksum matched.
func DownloadFiles(ctx context.Context, client *http.Client, cacheDir, baseURL string, files []MNISTFile) error {
	if baseURL == "" {
		baseURL = DefaultMNISTURL
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Minute}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	for _, f := range files {
		name := f.Name + ".gz"
		dst := filepath.Join(cacheDir, name)
		if sum, err := FileSHA256(dst); err == nil {
			if sum == f.SHA256 {
				continue
			}
			return fmt.Errorf("download: %s exists but its SHA-256 is %s, expected %s: remove it to download it again", dst, sum, f.SHA256)
		}
		url := baseURL + name
		if err := downloadVerified(ctx, client, url, dst, f); err != nil {
			names := make([]string, len(files))
			for i, f := range files {
				names[i] = f.Name + ".gz"
			}
			return fmt.Errorf("download %s: %w\n(no network? copy the files %s into %s, or point %s at a data directory whose mnist/ folder holds them)",
				url, err, strings.Join(names, ", "), cacheDir, DataDirEnv)
		}
	}
	return nil
}

func downloadVerified(ctx context.Context, client *http.Client, url, dst string, f MNISTFile) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status %s", resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, f.Size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != f.Size {
		return fmt.Errorf("got %d bytes, expected %d", n, f.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("SHA-256 %s, expected %s", sum, f.SHA256)
	}
	return os.Rename(tmp.Name(), dst)
}

// FileSHA256 returns the hex SHA-256 of a file's content.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
