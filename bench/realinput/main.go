// Command realinput grades saved models on digits from outside MNIST: for
// every model file it prints, per outside set (internal/outside), the
// accuracy and how often each answer flag was raised, and the same flags
// on the MNIST test set, as Markdown tables.
//
//	go run ./bench/realinput [--n 300] [--tune] MODEL.safetensors|DIR ...
//
// The sets are the grading sets (outside.GradeSeed, MNIST-derived kinds
// drawn from the MNIST test set) unless --tune asks for the tuning sets
// (outside.TuneSeed, drawn from the study's validation split), which are
// the ones to make choices on. Images go through infer.Model.PredictBytes,
// the path of rakam predict and serve.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/study"
)

func main() {
	n := flag.Int("n", 300, "images per set")
	tune := flag.Bool("tune", false, "the tuning sets instead of the grading sets")
	dataDir := flag.String("data", "", "MNIST directory (default: found as rakam finds it)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: go run ./bench/realinput [--n 300] [--tune] MODEL.safetensors|DIR ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var models []string
	for _, a := range flag.Args() {
		if fi, err := os.Stat(a); err == nil && fi.IsDir() {
			m, _ := filepath.Glob(filepath.Join(a, "*.safetensors"))
			models = append(models, m...)
		} else {
			models = append(models, a)
		}
	}
	d, err := study.LoadData(*dataDir, 5000, 1)
	if err != nil {
		log.Fatal(err)
	}
	seed, src, which := outside.GradeSeed, d.Test, "grading"
	if *tune {
		seed, src, which = outside.TuneSeed, d.Val, "tuning"
	}
	kinds := append(outside.Digits(), outside.NonDigits()...)
	sets := make([][]outside.Sample, len(kinds))
	start := time.Now()
	for i, k := range kinds {
		if sets[i], err = outside.Set(k, *n, seed, src); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "%d %s sets of %d drawn in %.1fs\n", len(kinds), which, *n, time.Since(start).Seconds())
	testX := make([]float32, len(d.Test.Images))
	for i, v := range d.Test.Images {
		testX[i] = float32(v) / 255
	}

	fmt.Printf("Accuracy on the %s sets (%d images each; for the sets that are no digit, the share flagged not_digit):\n\n", which, *n)
	head := []string{"model"}
	for _, k := range kinds {
		head = append(head, string(k))
	}
	fmt.Printf("| %s | MNIST test |\n|---|%s---:|\n", strings.Join(head, " | "), strings.Repeat("---:|", len(kinds)))
	type flags struct {
		label            string
		notDigit, unsure []float64
	}
	var all []flags
	for _, path := range models {
		m, err := infer.Load(path, nil)
		if err != nil {
			log.Fatal(err)
		}
		f := flags{label: fmt.Sprintf("%s (%s)", m.Name(), thresholds(m))}
		row := []string{m.Name()}
		for _, set := range sets {
			right, nd, un := 0, 0, 0
			for _, s := range set {
				p, err := m.PredictBytes(s.Data)
				if err != nil {
					continue // counted wrong: rakam predict would report the error
				}
				if p.Label == s.Label || (s.Label < 0 && p.NotDigit) {
					right++
				}
				if p.NotDigit {
					nd++
				}
				if p.Unsure {
					un++
				}
			}
			row = append(row, fmt.Sprintf("%.3f", float64(right)/float64(len(set))))
			f.notDigit = append(f.notDigit, float64(nd)/float64(len(set)))
			f.unsure = append(f.unsure, float64(un)/float64(len(set)))
		}
		probs, err := m.PredictBatch(testX, d.Test.N)
		if err != nil {
			log.Fatal(err)
		}
		right, nd, un := 0, 0, 0
		for i := 0; i < d.Test.N; i++ {
			a := m.Answer(probs[i*10 : i*10+10])
			if a.Label == int(d.Test.Labels[i]) {
				right++
			}
			if a.NotDigit {
				nd++
			}
			if a.Unsure {
				un++
			}
		}
		row = append(row, fmt.Sprintf("%.4f", float64(right)/float64(d.Test.N)))
		f.notDigit = append(f.notDigit, float64(nd)/float64(d.Test.N))
		f.unsure = append(f.unsure, float64(un)/float64(d.Test.N))
		all = append(all, f)
		fmt.Printf("| %s |\n", strings.Join(row, " | "))
	}
	for _, what := range []string{"not_digit", "unsure"} {
		fmt.Printf("\nShare of answers flagged %s (a digit flagged not_digit is a false alarm; a letter, scrawl or blank not flagged is a miss):\n\n", what)
		fmt.Printf("| %s | MNIST test |\n|---|%s---:|\n", strings.Join(head, " | "), strings.Repeat("---:|", len(kinds)))
		for _, f := range all {
			v := f.notDigit
			if what == "unsure" {
				v = f.unsure
			}
			row := []string{f.label}
			for _, x := range v {
				row = append(row, fmt.Sprintf("%.3f", x))
			}
			fmt.Printf("| %s |\n", strings.Join(row, " | "))
		}
	}
}

func thresholds(m *infer.Model) string {
	t := m.Thresholds()
	return fmt.Sprintf("below %.3g / %.3g", t.NotDigitBelow, t.UnsureBelow)
}
