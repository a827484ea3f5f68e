// Command outside reads the grading sets of internal/outside with every
// model in a directory and prints, as Markdown tables, each model's
// accuracy on each digit set and how often it flags the images of each
// non-digit set as not a digit; then how often each answer flag is raised
// on every set and on the MNIST test set (a digit flagged not_digit is a
// false alarm), and how many of the wrong answers are flagged unsure.
// Images go through infer.Load and Model.PredictBytes, the path rakam
// predict takes; the MNIST test images go straight to the model.
//
// Usage:
//
//	go run ./bench/outside --models out/models [--n 300] [--mnist DIR] [--tune] [--optdigits FILE]
//
// The sets are drawn with outside.GradeSeed (the kinds made from MNIST
// digits take them from the MNIST test set), n images each; --tune draws
// the tuning sets instead (outside.TuneSeed, digits from the study's
// validation split), the ones to make choices on. On a digit set a model
// scores the share of labels right (a blank answer is wrong); on a
// non-digit set, the share it answers blank or flags not a digit.
// A last table reads optdigits, real low-resolution handwriting by 43
// writers outside MNIST (outside.ReadOptdigits; scikit-learn's copy, which
// Debian's python3-sklearn installs), when the file is there.
// Exit status: 0 when the table was printed, 1 when a model or the data
// could not be read, 2 for a usage error.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/study"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "", "directory of .safetensors models to read the sets with (required)")
	n := fs.Int("n", 300, "images per set")
	mnistDir := fs.String("mnist", "", "MNIST directory (default: found in the Go module cache)")
	tune := fs.Bool("tune", false, "the tuning sets (TuneSeed, the study's validation digits) instead of the grading sets")
	optPath := fs.String("optdigits", outside.OptdigitsFile, "the real low-resolution handwriting set (scikit-learn's digits.csv.gz; \"\" to leave it out)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/outside --models DIR [--n 300] [--mnist DIR] [--tune] [--optdigits FILE]")
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
	d, err := study.LoadData(dir, 5000, 1)
	if err != nil {
		fmt.Fprintf(stderr, "outside: %v\n", err)
		return 1
	}
	seed, src, which := outside.GradeSeed, d.Test, "Grading sets of internal/outside (GradeSeed)"
	if *tune {
		seed, src, which = outside.TuneSeed, d.Val, "Tuning sets of internal/outside (TuneSeed)"
	}
	kinds := append(outside.Digits(), outside.NonDigits()...)
	sets := make(map[outside.Kind][]outside.Sample)
	for _, k := range kinds {
		var from *mnist.Set
		if outside.FromMNIST(k) {
			from = src
		}
		if sets[k], err = outside.Set(k, *n, seed, from); err != nil {
			fmt.Fprintf(stderr, "outside: %v\n", err)
			return 1
		}
	}
	var optSet []outside.Sample
	optNote := "left out (--optdigits \"\")"
	if *optPath != "" {
		var err error
		optSet, err = outside.ReadOptdigitsFile(*optPath)
		switch {
		case err == nil:
		case *optPath == outside.OptdigitsFile && errors.Is(err, os.ErrNotExist):
			optNote = fmt.Sprintf("left out: %s is missing (Debian's python3-sklearn installs it)", *optPath)
		default:
			fmt.Fprintf(stderr, "outside: %v\n", err)
			return 1
		}
	}
	var optRows []string
	testX := make([]float32, len(d.Test.Images))
	for i, v := range d.Test.Images {
		testX[i] = float32(v) / 255
	}
	head := []string{"model"}
	for _, k := range outside.Digits() {
		head = append(head, string(k))
	}
	head = append(head, "digits mean")
	for _, k := range outside.NonDigits() {
		head = append(head, string(k)+" flagged")
	}
	fmt.Fprintf(stdout, "%s, %d images each; digit sets: accuracy; others: share flagged not a digit.\n\n", which, *n)
	fmt.Fprintf(stdout, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" ---: |", len(head)))
	var flagRows, sizeRows []string
	details, byDetail := splitByDetail(sets[outside.LowRes])
	for _, f := range files {
		m, err := infer.Load(f, nil)
		if err != nil {
			fmt.Fprintf(stderr, "outside: %v\n", err)
			return 1
		}
		name := strings.TrimSuffix(filepath.Base(f), ".safetensors")
		row := []string{name}
		var sum float64
		var all tally
		notDigit := []string{name}
		// The lowres set read once, by shrink size; its tally is their sum.
		var low tally
		sizeRow := []string{name}
		for _, d := range details {
			t := score(m, byDetail[d])
			low.add(t)
			sizeRow = append(sizeRow, fmt.Sprintf("%.3f (%d of %d)", t.share(t.right), t.right, t.n))
		}
		sizeRows = append(sizeRows, fmt.Sprintf("| %s |", strings.Join(sizeRow, " | ")))
		for _, k := range outside.Digits() {
			t := low
			if k != outside.LowRes {
				t = score(m, sets[k])
			}
			all.add(t)
			sum += t.share(t.right)
			row = append(row, fmt.Sprintf("%.3f", t.share(t.right)))
			notDigit = append(notDigit, fmt.Sprintf("%.3f", t.share(t.notDigit)))
		}
		row = append(row, fmt.Sprintf("%.3f", sum/float64(len(outside.Digits()))))
		for _, k := range outside.NonDigits() {
			t := score(m, sets[k])
			row = append(row, fmt.Sprintf("%.3f", t.share(t.notDigit)))
			notDigit = append(notDigit, fmt.Sprintf("%.3f", t.share(t.notDigit)))
		}
		fmt.Fprintf(stdout, "| %s |\n", strings.Join(row, " | "))
		probs, err := m.PredictBatch(testX, d.Test.N)
		if err != nil {
			fmt.Fprintf(stderr, "outside: %s: %v\n", f, err)
			return 1
		}
		var mt tally
		for i := 0; i < d.Test.N; i++ {
			mt.count(m.Answer(probs[i*10:i*10+10]), int(d.Test.Labels[i]))
		}
		if optSet != nil {
			t := score(m, optSet)
			optRows = append(optRows, fmt.Sprintf("| %s | %.3f | %.3f | %.3f |", name, t.share(t.right), t.share(t.notDigit), t.share(t.unsure)))
		}
		th := m.Thresholds()
		notDigit = append(notDigit, fmt.Sprintf("%.4f", mt.share(mt.notDigit)))
		flagRows = append(flagRows, fmt.Sprintf("| %s | %.3g / %.3g | %.3f | %d of %d | %.4f | %d of %d |",
			strings.Join(notDigit, " | "), th.NotDigitBelow, th.UnsureBelow,
			all.share(all.unsure), all.wrongUnsure, all.wrong, mt.share(mt.unsure), mt.wrongUnsure, mt.wrong))
	}
	fmt.Fprintf(stdout, "\nThe low-resolution scans by the size each digit was shrunk to (Sample.Detail): accuracy, and right answers of images.\n\n")
	fmt.Fprintf(stdout, "| model | %s |\n|%s\n", strings.Join(details, " | "), strings.Repeat(" ---: |", len(details)+1))
	for _, r := range sizeRows {
		fmt.Fprintln(stdout, r)
	}
	fmt.Fprintf(stdout, "\nThe flags (each model's thresholds, from its metadata or infer.DefaultThresholds): the share of answers flagged not_digit on every set (on a digit set and on the MNIST test set, false alarms); the share flagged unsure on the digit sets and on MNIST test, and how many of the wrong answers it flags.\n\n")
	fhead := []string{"model"}
	for _, k := range kinds {
		fhead = append(fhead, string(k))
	}
	fhead = append(fhead, "MNIST test", "thresholds", "unsure (digit sets)", "wrong flagged unsure", "unsure (MNIST test)", "wrong flagged unsure")
	fmt.Fprintf(stdout, "| %s |\n|%s\n", strings.Join(fhead, " | "), strings.Repeat(" ---: |", len(fhead)))
	for _, r := range flagRows {
		fmt.Fprintln(stdout, r)
	}
	if optSet == nil {
		fmt.Fprintf(stdout, "\nReal handwriting (optdigits): %s.\n", optNote)
		return 0
	}
	fmt.Fprintf(stdout, "\nReal handwriting: the %d digits of optdigits (UCI, 43 writers who are not MNIST's, 8x8 cells enlarged to 96x96; outside.ReadOptdigits), the same for --tune and the grading run. Accuracy, and the shares flagged not_digit (false alarms) and unsure.\n\n", len(optSet))
	fmt.Fprintf(stdout, "| model | optdigits | not_digit | unsure |\n| ---: | ---: | ---: | ---: |\n")
	for _, r := range optRows {
		fmt.Fprintln(stdout, r)
	}
	return 0
}

// splitByDetail groups a set's samples by Sample.Detail, the details
// ordered by the number in them ("8x8" before "12x12"), then by name.
func splitByDetail(set []outside.Sample) ([]string, map[string][]outside.Sample) {
	groups := map[string][]outside.Sample{}
	for _, s := range set {
		groups[s.Detail] = append(groups[s.Detail], s)
	}
	details := slices.Collect(maps.Keys(groups))
	lead := func(d string) int { // "12x12" → 12; 0 for none
		side, _, _ := strings.Cut(d, "x")
		n, _ := strconv.Atoi(side)
		return n
	}
	slices.SortFunc(details, func(a, b string) int {
		if c := cmp.Compare(lead(a), lead(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return details, groups
}

// tally counts a model's answers on one set.
type tally struct {
	n, right, notDigit, unsure, wrong, wrongUnsure int
}

// count adds one answer; label is the truth (-1 for an image that is no
// digit).
func (t *tally) count(p infer.Prediction, label int) {
	t.n++
	if label >= 0 {
		if p.Label == label {
			t.right++
		} else {
			t.wrong++
			if p.Unsure || p.NotDigit {
				t.wrongUnsure++
			}
		}
	} else if p.Label < 0 || p.NotDigit {
		t.right++
	}
	if p.Label < 0 || p.NotDigit {
		t.notDigit++
	}
	if p.Unsure {
		t.unsure++
	}
}

func (t *tally) add(u tally) {
	t.n += u.n
	t.right += u.right
	t.notDigit += u.notDigit
	t.unsure += u.unsure
	t.wrong += u.wrong
	t.wrongUnsure += u.wrongUnsure
}

func (t tally) share(k int) float64 { return float64(k) / float64(max(t.n, 1)) }

// score reads a set with the model. On a digit set an answer is right when
// its label is (as rakam predict's label: flags aside); on a non-digit set,
// when it is answered blank or flagged not a digit (the model's
// thresholds, from its metadata or infer.DefaultThresholds). An image the
// model cannot read at all counts against the model.
func score(m *infer.Model, set []outside.Sample) tally {
	answers := make([]*infer.Prediction, len(set))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if p, err := m.PredictBytes(set[i].Data); err == nil {
					answers[i] = &p.Prediction
				}
			}
		}()
	}
	for i := range set {
		next <- i
	}
	close(next)
	wg.Wait()
	var t tally
	for i, p := range answers {
		if p == nil { // unreadable: wrong, whatever the set
			t.n++
			if set[i].Label >= 0 {
				t.wrong++
			}
			continue
		}
		t.count(*p, set[i].Label)
	}
	return t
}
