package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/fer-thesis/fer/datasets"
)

func init() {
	register("data", "check the datasets (check), print make_circles (circles), export FER2013 as PNG folders (export-fer)", runData)
}

const dataUsage = `usage:
  fer data check [--data DIR]        verify every dataset found under DIR
  fer data circles [--n N] [--noise X] [--seed S] [--shuffle=true]
                                     print scikit-learn's make_circles as x0,x1,y rows
  fer data export-fer --out DIR [--data DIR]
                                     write FER2013 as DIR/split/emotion/NNNNN.png

DIR defaults to $FER_DATA_DIR, else ~/.local/share/fer/data.`

func runData(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, dataUsage)
		return errUsage
	}
	switch args[0] {
	case "check":
		fs := newFlagSet("data check", stderr)
		dir := fs.String("data", datasets.DataDir(), "data directory (holding fer2013/ and mnist/)")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			return errUsage
		}
		return dataCheck(*dir, stdout, stderr)
	case "circles":
		fs := newFlagSet("data circles", stderr)
		n := fs.Int("n", 1000, "number of samples (n_samples)")
		noise := fs.Float64("noise", 0.1, "standard deviation of the Gaussian noise")
		seed := fs.Uint("seed", 1, "random_state (0 to 2^32-1)")
		shuffle := fs.Bool("shuffle", true, "shuffle the samples")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			return errUsage
		}
		if *n < 0 || *seed > 1<<32-1 {
			return fmt.Errorf("circles: --n must be >= 0 and --seed in 0..4294967295")
		}
		X, y := datasets.MakeCircles(*n, *noise, uint32(*seed), *shuffle)
		w := bufio.NewWriter(stdout)
		for i := range X {
			fmt.Fprintf(w, "%s,%s,%d\n", datasets.FormatFloatRepr(X[i][0]), datasets.FormatFloatRepr(X[i][1]), y[i])
		}
		return w.Flush()
	case "export-fer":
		fs := newFlagSet("data export-fer", stderr)
		dir := fs.String("data", datasets.DataDir(), "data directory (holding fer2013/)")
		out := fs.String("out", "", "output directory (required)")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			return errUsage
		}
		if *out == "" {
			fmt.Fprintln(stderr, "fer data export-fer: --out DIR is required")
			return errUsage
		}
		f, err := datasets.LoadFER2013Dir(*dir)
		if err != nil {
			return err
		}
		if err := datasets.ExportFER2013(*out, f); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d images to %s/{%s}/<emotion>/NNNNN.png\n", f.Len(), *out, strings.Join(datasets.FERUsages, ","))
		return nil
	default:
		fmt.Fprintf(stderr, "fer data: unknown action %q\n%s\n", args[0], dataUsage)
		return errUsage
	}
}

// dataCheck loads every dataset found under dir, prints its counts, and
// fails if any is broken or none is found.
func dataCheck(dir string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "data directory: %s\n", dir)
	var found, problems []string
	problem := func(err error) {
		fmt.Fprintf(stderr, "problem: %v\n", err)
		problems = append(problems, err.Error())
	}

	// FER2013 (and FER+).
	if path, err := datasets.FindFER2013(dir); err == nil {
		found = append(found, "FER2013")
		if err := checkFER(dir, path, stdout); err != nil {
			problem(err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		problem(err)
	}

	// MNIST: any of the four files means MNIST should be complete.
	mnistDir := filepath.Join(dir, "mnist")
	present := 0
	for _, f := range datasets.MNISTFiles {
		if _, err := datasets.FindMNISTFile(mnistDir, f.Name); err == nil {
			present++
		}
	}
	if present > 0 {
		found = append(found, "MNIST")
		if err := checkMNIST(mnistDir, stdout); err != nil {
			problem(err)
		}
	}

	if len(found) == 0 {
		return fmt.Errorf("no dataset found under %s: expected fer2013/fer2013.csv, fer2013/fer2013.csv.gz, fer2013.tar.gz or mnist/*-ubyte[.gz] (use --data DIR or set %s)", dir, datasets.DataDirEnv)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s) under %s (listed above)", len(problems), dir)
	}
	fmt.Fprintf(stdout, "\nOK: %s\n", strings.Join(found, ", "))
	return nil
}

func checkFER(dir, path string, stdout io.Writer) error {
	fmt.Fprintf(stdout, "\nFER2013: %s\n", path)
	f, sum, err := datasets.LoadFER2013Sum(path)
	if err != nil {
		return err
	}
	switch sum {
	case datasets.FER2013CSVSHA256:
		fmt.Fprintf(stdout, "  CSV sha256 %s: the original Kaggle fer2013.csv\n", sum)
	case datasets.FER2013CSVCRLFSHA256:
		fmt.Fprintf(stdout, "  CSV sha256 %s: the original Kaggle fer2013.csv with CRLF line ends\n", sum)
	default:
		fmt.Fprintf(stdout, "  CSV sha256 %s: not the original Kaggle file (%s); content checked anyway\n", sum, datasets.FER2013CSVSHA256)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  %-11s\trows\t%s\t\n", "split", strings.Join(datasets.EmotionNames, "\t"))
	total := make([]int, len(datasets.EmotionNames))
	for _, s := range f.Splits() {
		counts := s.ClassCounts()
		for i, c := range counts {
			total[i] += c
		}
		fmt.Fprintf(tw, "  %-11s\t%d\t%s\t\n", strings.TrimPrefix(s.Name, "FER2013/"), s.Len(), joinInts(counts))
	}
	fmt.Fprintf(tw, "  %-11s\t%d\t%s\t\n", "total", f.Len(), joinInts(total))
	tw.Flush()
	for _, s := range f.Splits() {
		if s.Len() == 0 {
			return fmt.Errorf("%s: split %s is empty", path, s.Name)
		}
	}

	plusPath := filepath.Join(dir, "fer2013", "fer2013new.csv")
	if _, err := os.Stat(plusPath); err != nil {
		fmt.Fprintf(stdout, "FER+: no %s (optional)\n", plusPath)
		return nil
	}
	rows, err := datasets.ReadFERPlusFile(plusPath)
	if err != nil {
		return err
	}
	if err := f.AttachFERPlus(rows); err != nil {
		return fmt.Errorf("%s: %w", plusPath, err)
	}
	note := "the original"
	if sum, err := datasets.FileSHA256(plusPath); err != nil || sum != datasets.FERPlusCSVSHA256 {
		note = "not the original file; content checked anyway"
	}
	nonFaces := 0
	majority := make([]int, len(datasets.FERPlusNames)+1)
	for _, l := range []*datasets.FERPlusLabels{f.FERPlus.Training, f.FERPlus.PublicTest, f.FERPlus.PrivateTest} {
		for _, n := range l.ImageNames {
			if n == "" {
				nonFaces++
			}
		}
		for _, m := range l.Majority() {
			majority[m+1]++
		}
	}
	fmt.Fprintf(stdout, "FER+: %s (%s): %d rows aligned with fer2013.csv, %d non-faces\n", plusPath, note, len(rows), nonFaces)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  %-11s\t%s\tnone\t\n", "majority", strings.Join(datasets.FERPlusNames, "\t"))
	fmt.Fprintf(tw, "  %-11s\t%s\t%d\t\n", "images", joinInts(majority[1:]), majority[0])
	return tw.Flush()
}

func checkMNIST(dir string, stdout io.Writer) error {
	fmt.Fprintf(stdout, "\nMNIST: %s\n", dir)
	m, err := datasets.LoadMNIST(dir)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  %-11s\trows\t%s\tmean pixel\t\n", "split", strings.Join(datasets.DigitNames, "\t"))
	for _, s := range []*datasets.ImageSet{m.Train, m.Test} {
		fmt.Fprintf(tw, "  %-11s\t%d\t%s\t%.4f\t\n", strings.TrimPrefix(s.Name, "MNIST/"), s.Len(), joinInts(s.ClassCounts()), s.MeanPixel())
	}
	tw.Flush()
	var same, other []string
	for _, f := range datasets.MNISTFiles {
		p := filepath.Join(dir, f.Name+".gz")
		if sum, err := datasets.FileSHA256(p); err == nil {
			if sum == f.SHA256 {
				same = append(same, f.Name+".gz")
			} else {
				other = append(other, f.Name+".gz")
			}
		}
	}
	if len(same) > 0 {
		fmt.Fprintf(stdout, "  sha256 matches the original for %d of 4 gzipped files\n", len(same))
	}
	if len(other) > 0 {
		fmt.Fprintf(stdout, "  sha256 differs from the original for %s (content checked anyway)\n", strings.Join(other, ", "))
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "\t")
}
