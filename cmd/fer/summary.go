package main

import (
	"fmt"
	"io"

	"github.com/fer-thesis/fer/fer"
)

func init() {
	register("summary", "print a thesis model's Keras-style summary (--model NAME, --list)", runSummary)
}

// runSummary implements "fer summary".
func runSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("summary", stderr)
	name := fs.String("model", "", "model name (see --list)")
	list := fs.Bool("list", false, "list the model names with a one-line description")
	html := fs.Bool("html", false, "print the summary as an HTML table")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fer summary: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	if *list {
		for _, a := range fer.Architectures() {
			fmt.Fprintf(stdout, "%-17s %s\n", a.Name, a.Description)
		}
		return nil
	}
	if *name == "" {
		fmt.Fprintln(stderr, "fer summary: --model NAME or --list is required")
		fs.Usage()
		return errUsage
	}
	m, err := fer.New(*name)
	if err != nil {
		return err
	}
	if *html {
		fmt.Fprint(stdout, m.SummaryHTML())
		return nil
	}
	fmt.Fprint(stdout, m.Summary())
	return nil
}
