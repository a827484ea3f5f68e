package outside

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/rakam-ml/rakam/mnist"
)

// Kind names a set of images drawn one way.
type Kind string

// The kinds of digits.
const (
	Pen    Kind = "pen"    // pen strokes of varying width, slant, size and position on white or light paper
	Font   Kind = "font"   // digits typeset in the Go and Liberation fonts
	LowRes Kind = "lowres" // MNIST digits shrunk to 8, 12 or 16 px and enlarged smoothly: a small scan
	Blur   Kind = "blur"   // MNIST digits rendered larger and blurred
	Thick  Kind = "thick"  // MNIST digits rendered larger and dilated
	Thin   Kind = "thin"   // MNIST digits rendered larger and eroded
	Photo  Kind = "photo"  // a pen digit photographed on plain, lined or squared paper
)

// The kinds of images that are no digit.
const (
	Letter   Kind = "letter"   // letters no one reads as a digit, typeset or pen-drawn
	Scribble Kind = "scribble" // pen scrawls, crossings and zigzags
	Blank    Kind = "blank"    // paper with nothing written on it
)

// The two seeds of the sets. Tuning sets (TuneSeed, src the study's
// validation split: study.LoadData(dir, 5000, 1).Val) are for making
// choices; grading sets (GradeSeed, src the MNIST test set) measure the
// result and are used for nothing else.
const (
	TuneSeed  uint64 = 0x7475_6e65 // "tune"
	GradeSeed uint64 = 0x6772_6164 // "grad"
)

// Sample is one labelled image.
type Sample struct {
	// Label is the digit shown, 0..9, or -1 for an image that is no digit.
	Label int
	// Name is a file name for the sample: LABEL_KIND_INDEX.EXT, LABEL being
	// "x" for no digit (for example "7_photo_0042.jpg").
	Name string
	// Data is the encoded image, PNG or JPEG, as a user would send it.
	Data []byte
	// Detail says how a sample of a kind drawn several ways was drawn,
	// where that matters to its difficulty: for "lowres", the size the
	// digit was shrunk to ("8x8", "12x12" or "16x16"); "" for the other
	// kinds.
	Detail string
}

// drawFunc draws sample i of a set from its own generator. src is nil
// unless the kind is made from MNIST digits.
type drawFunc func(i int, rng *rand.Rand, src *mnist.Set) (Sample, error)

// kinds is the table of kinds, in the order Digits and NonDigits list them.
var kinds = []struct {
	kind      Kind
	digit     bool // its samples show a digit (Label 0..9)
	fromMNIST bool // it transforms the digits of the source set
	draw      drawFunc
}{
	{Pen, true, false, drawPen},
	{Font, true, false, drawFont},
	{LowRes, true, true, drawLowRes},
	{Blur, true, true, drawBlur},
	{Thick, true, true, drawThick},
	{Thin, true, true, drawThin},
	{Photo, true, false, drawPhoto},
	{Letter, false, false, drawLetter},
	{Scribble, false, false, drawScribble},
	{Blank, false, false, drawBlank},
}

// Digits returns the kinds whose samples show a digit.
func Digits() []Kind { return list(true) }

// NonDigits returns the kinds whose samples show no digit.
func NonDigits() []Kind { return list(false) }

func list(digit bool) []Kind {
	var out []Kind
	for _, k := range kinds {
		if k.digit == digit {
			out = append(out, k.kind)
		}
	}
	return out
}

// FromMNIST reports whether the kind's samples are made from the MNIST
// digits of a source set.
func FromMNIST(kind Kind) bool {
	for _, k := range kinds {
		if k.kind == kind {
			return k.fromMNIST
		}
	}
	return false
}

// Set draws n samples of kind. Kinds made from MNIST digits ("lowres",
// "blur", "thick", "thin") take them from src, at indices drawn at random;
// the other kinds ignore it (pass nil). The same arguments give the same
// samples, byte for byte, and the first k samples do not depend on n.
// Digit kinds that draw their own digits show each digit in turn (label
// i mod 10).
func Set(kind Kind, n int, seed uint64, src *mnist.Set) ([]Sample, error) {
	var draw drawFunc
	for _, k := range kinds {
		if k.kind == kind {
			draw = k.draw
			if !k.fromMNIST {
				src = nil
			} else if src == nil || src.N == 0 || src.Rows != 28 || src.Cols != 28 {
				return nil, fmt.Errorf("%w: kind %q transforms MNIST digits; pass a 28x28 set with images", ErrSource, kind)
			}
		}
	}
	if draw == nil {
		return nil, fmt.Errorf("%w %q; want one of %v or %v", ErrKind, kind, Digits(), NonDigits())
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: %d samples of %q", ErrCount, n, kind)
	}
	h := fnv.New64a()
	h.Write([]byte(kind))
	root := rand.New(rand.NewPCG(seed, h.Sum64()))
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = root.Uint64()
	}
	out := make([]Sample, n)
	errs := make([]error, n)
	// Each sample has its own generator, so they can be drawn in parallel.
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rng := rand.New(rand.NewPCG(seeds[i], uint64(i)))
				out[i], errs[i] = draw(i, rng, src)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sample names and encodes one image: PNG when quality is 0, else JPEG.
func sample(kind Kind, i, label int, img image.Image, quality int) (Sample, error) {
	data, err := encode(img, quality)
	if err != nil {
		return Sample{}, fmt.Errorf("outside: %s sample %d: %w", kind, i, err)
	}
	ext, l := "png", "x"
	if quality > 0 {
		ext = "jpg"
	}
	if label >= 0 {
		l = fmt.Sprint(label)
	}
	return Sample{Label: label, Name: fmt.Sprintf("%s_%s_%04d.%s", l, kind, i, ext), Data: data}, nil
}

func encode(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if quality > 0 {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
