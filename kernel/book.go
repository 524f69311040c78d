package kernel

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// BookOptions configures BuildBook.
type BookOptions struct {
	// Notebooks are the .ipynb files of the book, in reading order. The one
	// whose base name starts with "00_" (if any) becomes the front page,
	// index.html; the others are the chapters.
	Notebooks []string
	// OutDir receives index.html and one HTML page per notebook.
	OutDir string
	// Title heads the table of contents; default "Contents".
	Title string
	// Log receives nbconvert's output; nil discards it.
	Log io.Writer
}

// BookChapter is one page of a built book.
type BookChapter struct {
	Notebook string   // source .ipynb
	Page     string   // HTML file name inside OutDir
	Title    string   // the notebook's first heading
	Sections []string // its second-level headings
	Images   int      // embedded images in the page
}

// Book describes a built book.
type Book struct {
	Index    string // path of index.html
	Chapters []BookChapter
}

// BuildBook exports notebooks (normally the committed ones, which carry the
// outputs of a real run) to a static HTML site with Jupyter's nbconvert:
// one self-contained page per notebook (figures embedded as data URIs),
// links between notebooks rewritten to the pages, a navigation bar on every
// page, and an index.html holding the front-page notebook followed by a
// table of contents of every chapter's sections. It then checks the site:
// every link of index.html must reach a page of the book, every chapter
// must be linked from it, and every page must embed at least as many
// images as its notebook has figure outputs.
//
// nbconvert does the rendering (Markdown, code highlighting, outputs)
// because it is what Jupyter users already read; this function only adds
// what nbconvert lacks for a multi-page site: the cross-links, the
// navigation and the table of contents.
func BuildBook(opts BookOptions) (*Book, error) {
	if len(opts.Notebooks) == 0 {
		return nil, errors.New("book: no notebooks")
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	jupyter, err := exec.LookPath("jupyter")
	if err != nil {
		return nil, fmt.Errorf("book: jupyter is not installed (Debian: apt-get install jupyter-nbconvert): %w", err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("book: %w", err)
	}
	var front string
	var chapters []string
	for _, p := range opts.Notebooks {
		if strings.HasPrefix(filepath.Base(p), "00_") && front == "" {
			front = p
		} else {
			chapters = append(chapters, p)
		}
	}
	book := &Book{Index: filepath.Join(opts.OutDir, "index.html")}
	pages := map[string]string{} // notebook base name → page
	for _, p := range opts.Notebooks {
		base := filepath.Base(p)
		page := strings.TrimSuffix(base, ".ipynb") + ".html"
		if p == front {
			page = "index.html"
		}
		pages[base] = page
	}

	// Render every notebook with nbconvert into a scratch folder, then
	// rewrite it into OutDir.
	scratch, err := os.MkdirTemp(opts.OutDir, ".nbconvert-")
	if err != nil {
		return nil, fmt.Errorf("book: %w", err)
	}
	defer os.RemoveAll(scratch)
	rendered := map[string]string{}
	for _, p := range opts.Notebooks {
		name := strings.TrimSuffix(filepath.Base(p), ".ipynb")
		cmd := exec.Command(jupyter, "nbconvert", "--to", "html", "--output-dir", scratch, "--output", name, p)
		var buf bytes.Buffer
		cmd.Stdout = io.MultiWriter(opts.Log, &buf)
		cmd.Stderr = io.MultiWriter(opts.Log, &buf)
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("book: exporting %s to HTML: %w\n%s", p, err, tail(buf.String(), 2000))
		}
		data, err := os.ReadFile(filepath.Join(scratch, name+".html"))
		if err != nil {
			return nil, fmt.Errorf("book: exporting %s: %w", p, err)
		}
		rendered[p] = string(data)
	}

	// Chapters: headings, navigation, links.
	for i, p := range chapters {
		page := rendered[p]
		ch := BookChapter{Notebook: p, Page: pages[filepath.Base(p)]}
		ch.Title, ch.Sections = headings(page)
		if ch.Title == "" {
			ch.Title = strings.TrimSuffix(filepath.Base(p), ".ipynb")
		}
		prev, next := "", ""
		if i > 0 {
			prev = pages[filepath.Base(chapters[i-1])]
		}
		if i+1 < len(chapters) {
			next = pages[filepath.Base(chapters[i+1])]
		}
		page = injectAfterBody(rewriteLinks(page, pages), navBar(prev, next, front != ""))
		page = injectBeforeBodyEnd(page, navBar(prev, next, front != ""))
		if err := os.WriteFile(filepath.Join(opts.OutDir, ch.Page), []byte(page), 0o644); err != nil {
			return nil, fmt.Errorf("book: %w", err)
		}
		ch.Images = countImages(page)
		book.Chapters = append(book.Chapters, ch)
	}

	// Front page: the index notebook (or a plain page) plus the contents.
	toc := tableOfContents(cmp.Or(opts.Title, "Contents"), book.Chapters)
	index := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(cmp.Or(opts.Title, "Contents")) +
		"</title></head>\n<body>\n</body></html>\n"
	if front != "" {
		index = rewriteLinks(rendered[front], pages)
	}
	index = injectBeforeBodyEnd(index, toc)
	if err := os.WriteFile(book.Index, []byte(index), 0o644); err != nil {
		return nil, fmt.Errorf("book: %w", err)
	}
	return book, CheckBook(book)
}

// CheckBook verifies a built book: every local link of index.html reaches a
// file of the book, every chapter page is linked from index.html, and every
// page embeds at least as many images as its notebook has image outputs
// (and at least one if the notebook has any).
func CheckBook(b *Book) error {
	data, err := os.ReadFile(b.Index)
	if err != nil {
		return fmt.Errorf("book: %w", err)
	}
	dir := filepath.Dir(b.Index)
	var problems []string
	linked := map[string]bool{}
	for _, m := range hrefRE.FindAllStringSubmatch(string(data), -1) {
		target := html.UnescapeString(m[1])
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		file, _, _ := strings.Cut(target, "#")
		if file == "" {
			continue
		}
		linked[file] = true
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			problems = append(problems, fmt.Sprintf("index.html links to %s, which is not in the book", target))
		}
	}
	for _, ch := range b.Chapters {
		if !linked[ch.Page] {
			problems = append(problems, fmt.Sprintf("index.html does not link to %s (%s)", ch.Page, ch.Title))
		}
		raw, err := os.ReadFile(ch.Notebook)
		if err != nil {
			return fmt.Errorf("book: %w", err)
		}
		rep, err := Check(raw, ch.Notebook)
		if err != nil {
			return fmt.Errorf("book: %w", err)
		}
		if ch.Images < rep.Images {
			problems = append(problems, fmt.Sprintf("%s embeds %d images, but %s has %d figure outputs", ch.Page, ch.Images, ch.Notebook, rep.Images))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("book %s:\n  %s", dir, strings.Join(problems, "\n  "))
	}
	return nil
}

var (
	hrefRE    = regexp.MustCompile(`href="([^"]*)"`)
	headingRE = regexp.MustCompile(`(?s)<h([12]) id="([^"]*)">(.*?)</h[12]>`)
	tagRE     = regexp.MustCompile(`<[^>]*>`)
	imgRE     = regexp.MustCompile(`<img[^>]+src="data:image/`)
	// Links from one notebook to another, as Markdown renders them:
	// href="05_x.ipynb" or href="05_x.ipynb#Section".
	nbLinkRE = regexp.MustCompile(`href="([^"/#]+\.ipynb)(#[^"]*)?"`)
)

// headings returns the first h1 and the h2 anchors of an nbconvert page, as
// "id\ttext" pairs for the sections.
func headings(page string) (title string, sections []string) {
	for _, m := range headingRE.FindAllStringSubmatch(page, -1) {
		text := strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(m[3], "")))
		text = strings.TrimSuffix(text, "¶")
		text = strings.TrimSpace(text)
		switch m[1] {
		case "1":
			if title == "" {
				title = text
			}
		case "2":
			sections = append(sections, m[2]+"\t"+text)
		}
	}
	return title, sections
}

func rewriteLinks(page string, pages map[string]string) string {
	return nbLinkRE.ReplaceAllStringFunc(page, func(s string) string {
		m := nbLinkRE.FindStringSubmatch(s)
		if p, ok := pages[m[1]]; ok {
			return `href="` + p + m[2] + `"`
		}
		return s
	})
}

func countImages(page string) int { return len(imgRE.FindAllStringIndex(page, -1)) }

const navStyle = `style="font-family: sans-serif; font-size: 14px; padding: 8px 16px; background: #f4f4f4; border-bottom: 1px solid #ddd; display: flex; gap: 24px;"`

func navBar(prev, next string, hasIndex bool) string {
	var sb strings.Builder
	sb.WriteString(`<nav class="book-nav" ` + navStyle + `>`)
	if hasIndex {
		sb.WriteString(`<a href="index.html">Contents</a>`)
	}
	if prev != "" {
		sb.WriteString(`<a href="` + prev + `">← previous chapter</a>`)
	}
	if next != "" {
		sb.WriteString(`<a href="` + next + `">next chapter →</a>`)
	}
	sb.WriteString("</nav>\n")
	return sb.String()
}

func tableOfContents(title string, chapters []BookChapter) string {
	var sb strings.Builder
	sb.WriteString(`<div class="book-toc" style="max-width: 1000px; margin: 24px auto; padding: 0 16px; font-family: sans-serif;">` + "\n")
	fmt.Fprintf(&sb, "<h2 id=\"book-contents\">%s</h2>\n<ol style=\"list-style: none; padding-left: 0;\">\n", html.EscapeString(title))
	for _, ch := range chapters {
		fmt.Fprintf(&sb, "<li style=\"margin-top: 12px;\"><a href=\"%s\"><b>%s</b></a> <span style=\"color: #666;\">(%d figures)</span>\n", ch.Page, html.EscapeString(ch.Title), ch.Images)
		if len(ch.Sections) > 0 {
			sb.WriteString("<ul>\n")
			for _, s := range ch.Sections {
				id, text, _ := strings.Cut(s, "\t")
				fmt.Fprintf(&sb, "<li><a href=\"%s#%s\">%s</a></li>\n", ch.Page, id, html.EscapeString(text))
			}
			sb.WriteString("</ul>\n")
		}
		sb.WriteString("</li>\n")
	}
	sb.WriteString("</ol>\n</div>\n")
	return sb.String()
}

var bodyRE = regexp.MustCompile(`<body[^>]*>`)

func injectAfterBody(page, s string) string {
	loc := bodyRE.FindStringIndex(page)
	if loc == nil {
		return s + page
	}
	return page[:loc[1]] + "\n" + s + page[loc[1]:]
}

func injectBeforeBodyEnd(page, s string) string {
	i := strings.LastIndex(page, "</body>")
	if i < 0 {
		return page + s
	}
	return page[:i] + s + page[i:]
}

// BookNotebooks lists the notebooks of dir in reading order (by name).
func BookNotebooks(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("book: no notebooks in %s", dir)
	}
	slices.Sort(m)
	// Fail early with the file's name on a notebook that is not JSON.
	for _, p := range m {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("book: %w", err)
		}
		if !json.Valid(data) {
			return nil, fmt.Errorf("book: %s is not a notebook (invalid JSON)", p)
		}
	}
	return m, nil
}
