package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
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
	model  string
	json   bool
	jsonl  bool
	show   bool
	number bool
}

// prediction is one element of the --json array. An answer has a label
// (-1 for a blank image, with no probabilities) and both flags; an image
// that could not be read has an error instead. With --number, an answer
// has the number and its digits instead of one label.
type prediction struct {
	File          string        `json:"file"`
	Label         *int          `json:"label,omitempty"`
	Number        *string       `json:"number,omitempty"`
	Probabilities []float32     `json:"probabilities,omitempty"`
	Digits        []numberDigit `json:"digits,omitempty"`
	NotDigit      *bool         `json:"not_digit,omitempty"`
	Unsure        *bool         `json:"unsure,omitempty"`
	Reasons       []string      `json:"reasons,omitempty"`
	Inverted      *bool         `json:"inverted,omitempty"`
	Show          string        `json:"show,omitempty"`
	Error         string        `json:"error,omitempty"`
}

// numberDigit is one digit of a --number answer: its box in the image
// ([x0, y0, x1, y1], pixels, x1 and y1 excluded) and the model's answer.
type numberDigit struct {
	Box           [4]int    `json:"box"`
	Label         int       `json:"label"`
	Probabilities []float32 `json:"probabilities"`
	NotDigit      bool      `json:"not_digit"`
	Unsure        bool      `json:"unsure"`
	Cut           bool      `json:"cut,omitempty"`
	Reason        string    `json:"reason,omitempty"`
}

// prepared is one image ready for the model: a digit, or with --number
// the parts of a number; neither for a blank image.
type prepared struct {
	digit  *imageprep.Digit
	number *infer.NumberParts
	blank  bool
}

// examples is how many 28x28s the image gives the model.
func (p *prepared) examples() int {
	switch {
	case p.blank:
		return 0
	case p.number != nil:
		return len(p.number.Digits)
	default:
		return 1
	}
}

// pixels are the model's input for the image.
func (p *prepared) pixels() []float32 {
	switch {
	case p.blank:
		return nil
	case p.number != nil:
		return p.number.Pixels
	default:
		return p.digit.Pixels
	}
}

// answer fills pred with the answer for the image, probs being its
// examples' probabilities.
func (p *prepared) answer(model *infer.Model, pred *prediction, probs []float32) error {
	yes, no := true, false
	if p.number != nil {
		np, err := p.number.Answer(probs, model.Thresholds())
		if err != nil {
			return err
		}
		pred.Number, pred.NotDigit, pred.Unsure, pred.Reasons = &np.Number, &np.NotDigit, &np.Unsure, np.Reasons
		pred.Digits = make([]numberDigit, len(np.Digits))
		for i, d := range np.Digits {
			b := d.Box
			pred.Digits[i] = numberDigit{Box: [4]int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y}, Label: d.Label, Probabilities: d.Probabilities,
				NotDigit: d.NotDigit, Unsure: d.Unsure, Cut: d.Cut, Reason: d.Reason}
		}
		if !np.NotDigit {
			pred.Inverted = &np.Inverted
		}
		return nil
	}
	if p.blank {
		label := infer.BlankLabel
		pred.Label, pred.NotDigit, pred.Unsure = &label, &yes, &no
		return nil
	}
	a := model.Answer(probs)
	pred.Label, pred.Probabilities, pred.NotDigit, pred.Unsure = &a.Label, a.Probabilities, &a.NotDigit, &a.Unsure
	pred.Inverted = &p.digit.Inverted
	return nil
}

func runPredict(ctx context.Context, e *env, args []string) error {
	var opts predictOptions
	fs := newFlags(e, "predict", "--model FILE [--number] [--json | --jsonl] [--show] IMAGE...", `
Recognises the digit in each image and prints the three most likely digits
with their probabilities, then "(not sure)" when the top probability is low
or "(not a digit?)" when it is very low (the model's thresholds); a blank
image is answered "not a digit (blank)". IMAGE may be a PNG, JPEG, GIF, BMP, TIFF or WebP file
of any size, a directory (every image file in it, in name order), or - for
standard input. Each image is first brought to the MNIST convention: grayscale,
white digit on black (a light background is inverted), cropped to the ink,
scaled to fit 20x20 and centred by mass in 28x28 (see docs/serving.md).

--number reads each image as a number written in a row (a year, a postcode,
a phone number): the digits are found left to right (touching ones cut
apart, specks ignored), each is read, and the number is printed with each
digit's probability, then "(not sure: ...)" with the reasons when a digit
is unsure, a mark is not a digit or a cut between touching digits is
doubtful.

--json prints one JSON array with an element {file, label, probabilities,
not_digit, unsure} per image (probabilities of digits 0..9; label -1 and no
probabilities for a blank image), or {file, error} for an image that could
not be read. With --number an element is {file, number, digits, not_digit,
unsure, reasons}, each digit {box: [x0, y0, x1, y1], label, probabilities,
not_digit, unsure}. --jsonl streams the same objects instead, one line per
image in argument order as soon as it is predicted, holding only a bounded
window of images in memory (for folders of any size). --show writes the
28x28 the model saw next to each input as NAME`+showSuffix+`
(stdin.rakam28.png in the current directory for -; with --number the
digits' 28x28s side by side; none for a blank image). Exit status 1 if any
image failed.`)
	fs.StringVar(&opts.model, "model", "", "the trained model `file` (.safetensors, from rakam train; default: the study's "+realInputModel+" in $RAKAM_MODELS or out/models)")
	fs.BoolVar(&opts.json, "json", false, "print a JSON array on stdout")
	fs.BoolVar(&opts.jsonl, "jsonl", false, "stream one JSON object per line on stdout, in input order, as images are predicted")
	fs.BoolVar(&opts.show, "show", false, "write the preprocessed 28x28 next to each input as NAME"+showSuffix)
	fs.BoolVar(&opts.number, "number", false, "read each image as a number: several digits in a row, left to right")
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
		return predictStream(ctx, e, model, files, opts)
	}

	preds := make([]prediction, len(files))
	preps := make([]*prepared, len(files))
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
			preps[i], preds[i].Show, errs[i] = prepareInput(f, e.stdin, opts)
			return nil
		})
	}
	g.Wait()
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	}
	var (
		x      []float32
		n      int
		failed int
	)
	for i, p := range preps {
		if errs[i] != nil {
			preds[i].Error = errs[i].Error()
			failed++
			fmt.Fprintf(e.stderr, "rakam predict: %v\n", errs[i])
			continue
		}
		x = append(x, p.pixels()...)
		n += p.examples()
	}
	var probs []float32
	if n > 0 {
		// infer runs them in batches within the model's memory bound.
		if probs, err = model.PredictBatch(x, n); err != nil {
			return err
		}
	}
	k := 0
	for i, p := range preps {
		if errs[i] != nil {
			continue
		}
		m := p.examples()
		if err := p.answer(model, &preds[i], probs[k*infer.Classes:(k+m)*infer.Classes:(k+m)*infer.Classes]); err != nil {
			return err
		}
		k += m
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

// prepareFile reads one image (- for stdin) and prepares it; errors name
// it. A blank image is imageprep.ErrBlank.
func prepareFile(name string, stdin io.Reader) (*imageprep.Digit, error) {
	data, err := readInput(name, stdin)
	if err != nil {
		return nil, err
	}
	d, err := imageprep.Prepare(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inputName(name), err)
	}
	return d, nil
}

func inputName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// readInput reads one encoded image (- for stdin) within the default
// limits; errors name it.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	if name == "-" {
		data, err = imageprep.DefaultLimits.ReadAll(stdin)
	} else {
		var f *os.File
		if f, err = os.Open(name); err == nil {
			data, err = imageprep.DefaultLimits.ReadAll(f)
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inputName(name), err)
	}
	return data, nil
}

// prepareNumber reads one image and segments it into the parts of a
// number (infer.SegmentNumber); errors name it.
func prepareNumber(name string, stdin io.Reader) (*infer.NumberParts, error) {
	data, err := readInput(name, stdin)
	if err != nil {
		return nil, err
	}
	img, err := imageprep.DefaultLimits.DecodeUpright(data) // a phone photo stored on its side, turned as displayed
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inputName(name), err)
	}
	np, err := infer.SegmentNumber(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inputName(name), err)
	}
	return np, nil
}

// prepareInput prepares one input as the options say and, with --show,
// writes what the model will see; a blank image is an answer, not an error.
func prepareInput(name string, stdin io.Reader, opts predictOptions) (*prepared, string, error) {
	p := &prepared{}
	if opts.number {
		np, err := prepareNumber(name, stdin)
		if err != nil {
			return nil, "", err
		}
		p.number, p.blank = np, len(np.Digits) == 0
	} else {
		d, err := prepareImage(name, stdin)
		if errors.Is(err, imageprep.ErrBlank) {
			return &prepared{blank: true}, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		p.digit = d
	}
	if !opts.show || p.blank {
		return p, "", nil
	}
	show, err := writeShow(name, p.showImage())
	return p, show, err
}

// showImage is what --show writes: the 28x28, or a number's 28x28s side
// by side (every part the model reads, the segmentation's first).
func (p *prepared) showImage() *image.Gray {
	if p.number == nil {
		return p.digit.Gray
	}
	ds := p.number.Digits
	strip := image.NewGray(image.Rect(0, 0, imageprep.Size*len(ds), imageprep.Size))
	for i, d := range ds {
		draw.Draw(strip, image.Rect(imageprep.Size*i, 0, imageprep.Size*(i+1), imageprep.Size), d.Gray, image.Point{}, draw.Src)
	}
	return strip
}

// writeShow writes the image next to the input and returns its path.
func writeShow(name string, img *image.Gray) (string, error) {
	out := "stdin" + showSuffix
	if name != "-" {
		out = strings.TrimSuffix(name, filepath.Ext(name)) + showSuffix
	}
	err := atomicfile.Write(out, 0o644, func(w io.Writer) error { return png.Encode(w, img) })
	return out, err
}

// printPrediction writes "FILE: 7 98.1%  1 1.2%  9 0.3%", then the flags;
// "FILE: not a digit (blank)" for a blank image; with --number,
// "FILE: 2024  (2 99.0%, 0 98.2%, 2 97.7%, 4 91.0%)".
func printPrediction(w io.Writer, p prediction) {
	name := p.File
	if name == "-" {
		name = "(stdin)"
	}
	fmt.Fprintf(w, "%s: ", name)
	switch {
	case p.Number != nil && *p.NotDigit:
		fmt.Fprint(w, "no digits (blank)")
	case p.Number != nil:
		fmt.Fprintf(w, "%s  (", *p.Number)
		for i, d := range p.Digits {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "%d %.1f%%", d.Label, 100*d.Probabilities[d.Label])
			if d.NotDigit {
				fmt.Fprint(w, " not a digit?")
			}
		}
		fmt.Fprint(w, ")")
		if *p.Unsure {
			fmt.Fprintf(w, "  (not sure: %s)", strings.Join(p.Reasons, "; "))
		}
	case len(p.Probabilities) == 0:
		fmt.Fprint(w, "not a digit (blank)")
	default:
		idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		sort.SliceStable(idx, func(a, b int) bool { return p.Probabilities[idx[a]] > p.Probabilities[idx[b]] })
		for k, d := range idx[:3] {
			if k > 0 {
				fmt.Fprint(w, "  ")
			}
			fmt.Fprintf(w, "%d %5.1f%%", d, 100*p.Probabilities[d])
		}
		switch {
		case *p.NotDigit:
			fmt.Fprint(w, "  (not a digit?)")
		case *p.Unsure:
			fmt.Fprint(w, "  (not sure)")
		}
	}
	if p.Show != "" {
		fmt.Fprintf(w, "  (28x28: %s)", p.Show)
	}
	fmt.Fprintln(w)
}
