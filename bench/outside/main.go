// Command outside reads the grading sets of internal/outside with every
// model in a directory and prints, as a Markdown table, each model's
// accuracy on each digit set and how often it flags the images of each
// non-digit set as not a digit. Images go through infer.Load and
// Model.PredictBytes, the path rakam predict takes.
//
// Usage:
//
//	go run ./bench/outside --models out/models [--n 300] [--mnist DIR]
//
// The sets are drawn with outside.GradeSeed (the kinds made from MNIST
// digits take them from the MNIST test set), n images each. On a digit
// set a model scores the share of labels right (a blank answer is wrong);
// on a non-digit set, the share it answers blank or flags not a digit.
// Exit status: 0 when the table was printed, 1 when a model or the data
// could not be read, 2 for a usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/mnist"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "", "directory of .safetensors models to read the sets with (required)")
	n := fs.Int("n", 300, "images per set")
	mnistDir := fs.String("mnist", "", "MNIST directory (default: found in the Go module cache)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/outside --models DIR [--n 300] [--mnist DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *models == "" || *n <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "outside: --models DIR is required, --n must be positive, and no arguments follow the flags")
		fs.Usage()
		return 2
	}
	files, err := filepath.Glob(filepath.Join(*models, "*.safetensors"))
	if err != nil {
		fmt.Fprintf(stderr, "outside: %v\n", err)
		return 2
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "outside: no .safetensors files in %s\n", *models)
		return 1
	}
	slices.Sort(files)
	dir, err := mnist.Locate(*mnistDir)
	if err != nil {
		fmt.Fprintf(stderr, "outside: %v\n", err)
		return 1
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		fmt.Fprintf(stderr, "outside: %v\n", err)
		return 1
	}
	kinds := append(outside.Digits(), outside.NonDigits()...)
	sets := make(map[outside.Kind][]outside.Sample)
	for _, k := range kinds {
		var src *mnist.Set
		if outside.FromMNIST(k) {
			src = test
		}
		if sets[k], err = outside.Set(k, *n, outside.GradeSeed, src); err != nil {
			fmt.Fprintf(stderr, "outside: %v\n", err)
			return 1
		}
	}
	head := []string{"model"}
	for _, k := range outside.Digits() {
		head = append(head, string(k))
	}
	head = append(head, "digits mean")
	for _, k := range outside.NonDigits() {
		head = append(head, string(k)+" flagged")
	}
	fmt.Fprintf(stdout, "Grading sets of internal/outside, %d images each (GradeSeed); digit sets: accuracy; others: share flagged not a digit.\n\n", *n)
	fmt.Fprintf(stdout, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" ---: |", len(head)))
	for _, f := range files {
		m, err := infer.Load(f, nil)
		if err != nil {
			fmt.Fprintf(stderr, "outside: %v\n", err)
			return 1
		}
		row := []string{strings.TrimSuffix(filepath.Base(f), ".safetensors")}
		var sum float64
		for _, k := range outside.Digits() {
			acc := score(m, sets[k], true)
			sum += acc
			row = append(row, fmt.Sprintf("%.3f", acc))
		}
		row = append(row, fmt.Sprintf("%.3f", sum/float64(len(outside.Digits()))))
		for _, k := range outside.NonDigits() {
			row = append(row, fmt.Sprintf("%.3f", score(m, sets[k], false)))
		}
		fmt.Fprintf(stdout, "| %s |\n", strings.Join(row, " | "))
	}
	return 0
}

// score returns, for a digit set, the share whose label is right (as
// rakam predict's label: flags aside); for a non-digit set, the share
// answered blank or flagged not a digit (the model's thresholds, from its
// metadata or infer.DefaultThresholds). An image the model
// cannot read at all counts against the model.
func score(m *infer.Model, set []outside.Sample, digits bool) float64 {
	good := make([]bool, len(set))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p, err := m.PredictBytes(set[i].Data)
				switch {
				case err != nil:
				case digits:
					good[i] = p.Label == set[i].Label
				default:
					good[i] = p.Label < 0 || p.NotDigit
				}
			}
		}()
	}
	for i := range set {
		next <- i
	}
	close(next)
	wg.Wait()
	k := 0
	for _, g := range good {
		if g {
			k++
		}
	}
	return float64(k) / float64(len(set))
}
