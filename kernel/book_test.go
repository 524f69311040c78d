package kernel

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeBookNotebook writes a notebook of markdown cells and, if withFigure,
// one code cell with a PNG output.
func writeBookNotebook(t *testing.T, path string, markdown []string, withFigure bool) {
	t.Helper()
	cells := []any{}
	for _, s := range markdown {
		cells = append(cells, map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": s})
	}
	if withFigure {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 4)
		}
		img.Set(0, 0, color.White)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		cells = append(cells, map[string]any{"cell_type": "code", "execution_count": 1, "metadata": map[string]any{}, "source": "%%\nplot()",
			"outputs": []any{map[string]any{"output_type": "display_data", "metadata": map[string]any{},
				"data": map[string]any{"image/png": base64.StdEncoding.EncodeToString(buf.Bytes()), "text/plain": "<figure>"}}}})
	}
	nb := map[string]any{"cells": cells, "metadata": map[string]any{"kernelspec": map[string]any{"name": Name, "display_name": DisplayName, "language": "go"}},
		"nbformat": 4, "nbformat_minor": 5}
	data, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBuildBook(t *testing.T) {
	if _, err := exec.LookPath("jupyter"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("jupyter missing in CI")
		}
		t.Skip("jupyter not installed")
	}
	src := t.TempDir()
	writeBookNotebook(t, filepath.Join(src, "00_index.ipynb"), []string{
		"# The book\n\n- [First chapter](01_first.ipynb)\n- [Second chapter, its data](02_second.ipynb#2.1-·-Data)"}, false)
	writeBookNotebook(t, filepath.Join(src, "01_first.ipynb"), []string{"# Chapter 1 · First", "## 1.1 · A section", "See [the next one](02_second.ipynb)."}, true)
	writeBookNotebook(t, filepath.Join(src, "02_second.ipynb"), []string{"# Chapter 2 · Second", "## 2.1 · Data", "## 2.2 · Model"}, true)
	paths, err := BookNotebooks(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "book")
	b, err := BuildBook(BookOptions{Notebooks: paths, OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Chapters) != 2 || b.Chapters[0].Title != "Chapter 1 · First" || len(b.Chapters[1].Sections) != 2 || b.Chapters[1].Images != 1 {
		t.Fatalf("book: %+v", b.Chapters)
	}
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, want := range []string{`href="01_first.html"`, `href="02_second.html#`, "2.2 · Model"} {
		if !strings.Contains(string(index), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	first, _ := os.ReadFile(filepath.Join(out, "01_first.html"))
	for _, want := range []string{`src="data:image/png;base64,`, `href="02_second.html"`, `href="index.html"`, "next chapter"} {
		if !strings.Contains(string(first), want) {
			t.Errorf("01_first.html lacks %q", want)
		}
	}
	if strings.Contains(string(first), ".ipynb\"") {
		t.Error("01_first.html still links to a notebook")
	}

	// A book with a page missing, or whose chapter lost its figures, fails
	// the check and names the page.
	page2, _ := os.ReadFile(filepath.Join(out, "02_second.html"))
	if err := os.Remove(filepath.Join(out, "02_second.html")); err != nil {
		t.Fatal(err)
	}
	if err := CheckBook(b); err == nil || !strings.Contains(err.Error(), "links to 02_second.html") {
		t.Errorf("missing page: %v", err)
	}
	if err := os.WriteFile(filepath.Join(out, "02_second.html"), page2, 0o644); err != nil {
		t.Fatal(err)
	}
	b.Chapters[0].Images = 0
	if err := CheckBook(b); err == nil || !strings.Contains(err.Error(), "01_first.html embeds 0 images") {
		t.Errorf("chapter without its figure: %v", err)
	}
	if err := os.WriteFile(filepath.Join(src, "03_broken.ipynb"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := BookNotebooks(src); err == nil || !strings.Contains(err.Error(), "03_broken.ipynb") {
		t.Errorf("broken notebook: %v", err)
	}
}
