package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/atomicfile"
)

func init() {
	register(&command{name: "predict", summary: "recognise the digit in image files", run: runPredict})
}

// showSuffix names the preprocessed 28x28 that --show writes next to an
// input; files with it are skipped when a directory is read.
const showSuffix = ".rakam28.png"

// imageExts are the file name extensions read from a directory argument.
var imageExts = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

type predictOptions struct {
	model string
	json  bool
	jsonl bool
	show  bool
}

// prediction is one element of the --json array.
type prediction struct {
	File          string    `json:"file"`
	Label         *int      `json:"label,omitempty"`
	Probabilities []float32 `json:"probabilities,omitempty"`
	Inverted      *bool     `json:"inverted,omitempty"`
	Show          string    `json:"show,omitempty"`
	Error         string    `json:"error,omitempty"`
}

func runPredict(ctx context.Context, e *env, args []string) error {
	var opts predictOptions
	fs := newFlags(e, "predict", "--model FILE [--json | --jsonl] [--show] IMAGE...", `
Recognises the digit in each image and prints the three most likely digits
with their probabilities. IMAGE may be a PNG, JPEG, GIF, BMP, TIFF or WebP file
of any size, a directory (every image file in it, in name order), or - for
standard input. Each image is first brought to the MNIST convention: grayscale,
white digit on black (a light background is inverted), cropped to the ink,
scaled to fit 20x20 and centred by mass in 28x28 (see docs/serving.md).

--json prints one JSON array with an element {file, label, probabilities} per
image (probabilities of digits 0..9), or {file, error} for an image that
could not be read. --jsonl streams the same objects instead, one line per
image in argument order as soon as it is predicted, holding only a bounded
window of images in memory (for folders of any size). --show writes the
28x28 the model saw next to each input as NAME`+showSuffix+`
(stdin.rakam28.png in the current directory for -). Exit status 1 if any
image failed.`)
	fs.StringVar(&opts.model, "model", "", "the trained model `file` (.safetensors, from rakam train; default: the study's "+realInputModel+" in $RAKAM_MODELS or out/models)")
	fs.BoolVar(&opts.json, "json", false, "print a JSON array on stdout")
	fs.BoolVar(&opts.jsonl, "jsonl", false, "stream one JSON object per line on stdout, in input order, as images are predicted")
	fs.BoolVar(&opts.show, "show", false, "write the preprocessed 28x28 next to each input as NAME"+showSuffix)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if opts.model == "" {
		m, err := defaultModel()
		if err != nil {
			return err
		}
		opts.model = m
	}
	if fs.NArg() == 0 {
		return usagef("no IMAGE given; name image files, directories, or - for standard input")
	}
	if opts.json && opts.jsonl {
		return usagef("--json and --jsonl: choose one (an array at the end, or one line per image as it goes)")
	}
	files, err := expandImageArgs(fs.Args())
	if err != nil {
		return err
	}
	// The Go API: the model is loaded once and predicts through the one
	// inference path (batches within its memory bound), as serve and eval.
	model, err := infer.Load(opts.model, nil)
	if err != nil {
		return err
	}
	if opts.jsonl {
		return predictStream(ctx, e, model, files, opts.show)
	}

	preds := make([]prediction, len(files))
	digits := make([]*imageprep.Digit, len(files))
	errs := make([]error, len(files))
	// Decoding and preparing dominate for photos: one image per core. An
	// image that fails is reported with the others (errs), so no goroutine
	// returns an error to the group.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		preds[i].File = f
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			d, err := prepareImage(f, e.stdin)
			if err == nil && opts.show {
				preds[i].Show, err = writeShow(f, d)
			}
			digits[i], errs[i] = d, err
			return nil
		})
	}
	g.Wait()
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	}
	var (
		x      []float32
		ok     []int // indices of preds with pixels in x
		failed int
	)
	for i, d := range digits {
		if errs[i] != nil {
			preds[i].Error = errs[i].Error()
			failed++
			fmt.Fprintf(e.stderr, "rakam predict: %v\n", errs[i])
			continue
		}
		preds[i].Inverted = &d.Inverted
		x = append(x, d.Pixels...)
		ok = append(ok, i)
	}
	if len(ok) > 0 {
		// infer runs them in batches within the model's memory bound.
		p, err := model.PredictBatch(x, len(ok))
		if err != nil {
			return err
		}
		for k, i := range ok {
			probs := p[k*infer.Classes : (k+1)*infer.Classes : (k+1)*infer.Classes]
			label := infer.Argmax(probs)
			preds[i].Label, preds[i].Probabilities = &label, probs
		}
	}

	if opts.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(preds); err != nil {
			return err
		}
	} else {
		for _, p := range preds {
			if p.Error == "" {
				printPrediction(e.stdout, p)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be read", failed, len(files))
	}
	return nil
}

// expandImageArgs replaces each directory by the image files in it, sorted.
func expandImageArgs(args []string) ([]string, error) {
	var files []string
	stdin := false
	for _, a := range args {
		if a == "-" {
			if stdin {
				return nil, usagef("- (standard input) may be given only once")
			}
			stdin = true
			files = append(files, a)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err // *PathError names the file
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, ent := range entries {
			name := ent.Name()
			if ent.IsDir() || strings.HasSuffix(name, showSuffix) || !slices.Contains(imageExts, strings.ToLower(filepath.Ext(name))) {
				continue
			}
			files = append(files, filepath.Join(a, name))
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no image files (%s) in the directory", a, strings.Join(imageExts, " "))
		}
	}
	return files, nil
}

// prepareImage is prepareFile; tests wrap it to watch the work done.
var prepareImage = prepareFile

// prepareFile reads one image (- for stdin) and prepares it; errors name it.
func prepareFile(name string, stdin io.Reader) (*imageprep.Digit, error) {
	var (
		data []byte
		err  error
	)
	if name == "-" {
		data, err = imageprep.DefaultLimits.ReadAll(stdin)
		name = "standard input"
	} else {
		var f *os.File
		if f, err = os.Open(name); err == nil {
			data, err = imageprep.DefaultLimits.ReadAll(f)
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d, err := imageprep.Prepare(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// writeShow writes the 28x28 next to the input and returns its path.
func writeShow(name string, d *imageprep.Digit) (string, error) {
	out := "stdin" + showSuffix
	if name != "-" {
		out = strings.TrimSuffix(name, filepath.Ext(name)) + showSuffix
	}
	err := atomicfile.Write(out, 0o644, func(w io.Writer) error { return png.Encode(w, d.Gray) })
	return out, err
}

// printPrediction writes "FILE: 7 98.1%  1 1.2%  9 0.3%".
func printPrediction(w io.Writer, p prediction) {
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	sort.SliceStable(idx, func(a, b int) bool { return p.Probabilities[idx[a]] > p.Probabilities[idx[b]] })
	name := p.File
	if name == "-" {
		name = "(stdin)"
	}
	fmt.Fprintf(w, "%s: ", name)
	for k, d := range idx[:3] {
		if k > 0 {
			fmt.Fprint(w, "  ")
		}
		fmt.Fprintf(w, "%d %5.1f%%", d, 100*p.Probabilities[d])
	}
	if p.Show != "" {
		fmt.Fprintf(w, "  (28x28: %s)", p.Show)
	}
	fmt.Fprintln(w)
}
