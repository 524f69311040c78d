package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/fer-thesis/fer/kernel"
)

func init() {
	register("book", "export the notebooks to a static HTML site with a table of contents (make book)", runBook)
}

func runBook(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("book", stderr)
	from := fs.String("from", "notebooks", "folder of the notebooks to publish (the committed ones carry the outputs of a real run; out/notebooks holds a fresh execution)")
	out := fs.String("out", "out/book", "folder for index.html and the chapter pages")
	verbose := fs.Bool("v", false, "show nbconvert's output")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	paths, err := kernel.BookNotebooks(*from)
	if err != nil {
		return err
	}
	opts := kernel.BookOptions{Notebooks: paths, OutDir: *out, Title: "Contents: chapter by chapter"}
	if *verbose {
		opts.Log = stderr
	}
	b, err := kernel.BuildBook(opts)
	if err != nil {
		return err
	}
	for _, ch := range b.Chapters {
		fmt.Fprintf(stdout, "  %-45s %2d sections, %2d figures  %s\n", ch.Page, len(ch.Sections), ch.Images, ch.Title)
	}
	abs, _ := filepath.Abs(b.Index)
	fmt.Fprintf(stdout, "book: %d chapters, checked (every link of index.html reaches a page, every figure embedded); open %s\n", len(b.Chapters), abs)
	return nil
}
