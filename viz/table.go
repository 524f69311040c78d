package viz

import (
	"fmt"
	"html"
	"strings"
)

// HTMLTable renders a simple HTML table: a header row and data rows, cells
// escaped. Numeric-looking cells are right-aligned. Show it in a notebook
// with ShowHTML.
func HTMLTable(caption string, header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;font-family:monospace">`)
	if caption != "" {
		fmt.Fprintf(&b, `<caption style="font-weight:bold;text-align:left">%s</caption>`, html.EscapeString(caption))
	}
	b.WriteString("<thead><tr>")
	for _, h := range header {
		fmt.Fprintf(&b, `<th style="border-bottom:1px solid #888;padding:2px 8px;text-align:right">%s</th>`, html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			align := "left"
			if looksNumeric(c) {
				align = "right"
			}
			fmt.Fprintf(&b, `<td style="padding:2px 8px;text-align:%s">%s</td>`, align, html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

// TextTable renders the same table as aligned plain text (for terminals and
// for notebook outputs that must stay readable as text).
func TextTable(header []string, rows [][]string) string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len([]rune(h))
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) && len([]rune(c)) > widths[i] {
				widths[i] = len([]rune(c))
			}
		}
	}
	numeric := make([]bool, len(header))
	for i := range numeric {
		numeric[i] = len(rows) > 0
		for _, r := range rows {
			if i < len(r) && r[i] != "" && !looksNumeric(r[i]) {
				numeric[i] = false
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i > 0 {
				b.WriteString("  ")
			}
			if numeric[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		b.WriteString("\n")
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

func looksNumeric(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.,+-−%e", r) {
			return false
		}
	}
	return true
}

// ShowTable displays a table as HTML in a notebook and as text elsewhere.
func ShowTable(caption string, header []string, rows [][]string) {
	if inNotebook() {
		ShowHTML(HTMLTable(caption, header, rows))
		return
	}
	if caption != "" {
		fmt.Println(caption)
	}
	fmt.Print(TextTable(header, rows))
}
