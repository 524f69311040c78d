package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/fer-thesis/fer/fer"
)

// errUsage is returned by commands whose flags could not be parsed; the flag
// package has already printed the problem.
var errUsage = errors.New("usage")

// newFlagSet returns a flag set for a subcommand that reports errors to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fer "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func init() {
	register("backend", "print the GoMLX backend that would be used, and why", func(args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet("backend", stderr)
		start := fs.Bool("start", false, "also start the backend and print its description")
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		choice := fer.ChooseBackend()
		fmt.Fprintf(stdout, "backend: %s\nreason:  %s\n", choice.Config, choice.Reason)
		if *start {
			b, err := fer.NewBackend(choice)
			if err != nil {
				return err
			}
			defer b.Finalize()
			fmt.Fprintf(stdout, "started: %s\n", b.Description())
		}
		return nil
	})
}
