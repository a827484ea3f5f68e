package infer_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/internal/outside/outsidetest"
	"github.com/rakam-ml/rakam/mnist"
)

// numberCNN returns the model the number tests read with: the zoo's cnn
// trained for one epoch on the first 20,000 MNIST training images
// (outsidetest.Model; $RAKAM_CNN_MODEL names a saved one instead), and
// the MNIST training and test sets.
func numberCNN(t *testing.T) (*infer.Model, *mnist.Set, *mnist.Set) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping training in -short mode")
	}
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("no MNIST to train on: %v", err)
	}
	trainSet, err := mnist.LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	testSet, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := outsidetest.Model(t)
	model, err := infer.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return model, trainSet, testSet
}

// mnistInk crops MNIST test image i to its ink and scales it by s
// (bilinear), white on black.
func mnistInk(set *mnist.Set, i int, s float64) *image.Gray {
	src := &image.Gray{Pix: set.Image(i), Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
	x0, y0, x1, y1 := 28, 28, 0, 0
	for y := range 28 {
		for x := range 28 {
			if src.Pix[y*28+x] > 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	w, h := max(1, int(math.Round(float64(x1-x0)*s))), max(1, int(math.Round(float64(y1-y0)*s)))
	out := image.NewGray(image.Rect(0, 0, w, h))
	at := func(x, y int) float64 {
		if x < x0 || x >= x1 || y < y0 || y >= y1 {
			return 0
		}
		return float64(src.Pix[y*28+x])
	}
	for y := range h {
		for x := range w {
			fx, fy := (float64(x)+0.5)/s-0.5+float64(x0), (float64(y)+0.5)/s-0.5+float64(y0)
			ix, iy := int(math.Floor(fx)), int(math.Floor(fy))
			ax, ay := fx-float64(ix), fy-float64(iy)
			v := (1-ax)*(1-ay)*at(ix, iy) + ax*(1-ay)*at(ix+1, iy) + (1-ax)*ay*at(ix, iy+1) + ax*ay*at(ix+1, iy+1)
			out.Pix[y*w+x] = uint8(math.Round(v))
		}
	}
	return out
}

// mnistNumber composes MNIST test digits into a row: each scaled by the
// same factor, the gaps between their inks drawn from 0..9 scaled pixels
// or -2..-1 pixels (overlapping by a pixel or two, often touching), the baseline
// jittered by up to 3 scaled pixels; white on black, or inverted. alone
// holds each digit drawn alone the same way.
func mnistNumber(rng *rand.Rand, set *mnist.Set, n int, dark bool) (img *image.Gray, truth string, alone []*image.Gray) {
	s := 1 + 1.5*rng.Float64()
	var sb strings.Builder
	var glyphs []*image.Gray
	for range n {
		i := rng.IntN(set.N)
		sb.WriteByte(byte('0' + set.Labels[i]))
		glyphs = append(glyphs, mnistInk(set, i, s))
	}
	margin := int(8 * s)
	gaps := make([]int, n)
	w := 2 * margin
	for i, g := range glyphs {
		w += g.Bounds().Dx()
		if i > 0 {
			// Apart by 0..9 pixels at MNIST's scale, or touching:
			// overlapping by a pixel or two.
			if g := rng.IntN(12) - 2; g < 0 {
				gaps[i] = g
			} else {
				gaps[i] = int(math.Round(float64(g) * s))
			}
			w += gaps[i]
		}
	}
	jitter := int(3 * s)
	h := int(20*s) + 2*margin + 2*jitter
	img = image.NewGray(image.Rect(0, 0, w, h))
	put := func(dst, g *image.Gray, x, y int) {
		b := g.Bounds()
		for yy := range b.Dy() {
			for xx := range b.Dx() {
				p := &dst.Pix[(y+yy)*dst.Stride+x+xx]
				*p = max(*p, g.Pix[yy*g.Stride+xx])
			}
		}
	}
	x := margin
	for i, g := range glyphs {
		x += gaps[i]
		b := g.Bounds()
		put(img, g, x, margin+jitter+(int(20*s)-b.Dy())/2+rng.IntN(2*jitter+1)-jitter)
		one := image.NewGray(image.Rect(0, 0, b.Dx()+2*margin, h))
		put(one, g, margin, margin+jitter+(int(20*s)-b.Dy())/2)
		alone = append(alone, one)
		x += b.Dx()
	}
	if dark {
		for _, m := range append(alone, img) {
			for i := range m.Pix {
				m.Pix[i] = 255 - m.Pix[i]
			}
		}
	}
	return img, sb.String(), alone
}

// fontNumber typesets n random digits in a Go font at 30..90 px, dark on
// light or light on dark; alone holds each digit typeset alone.
func fontNumber(t *testing.T, rng *rand.Rand, n int, dark bool) (img *image.Gray, truth string, alone []*image.Gray) {
	ttfs := [][]byte{goregular.TTF, gobold.TTF, gomono.TTF}
	f, err := opentype.Parse(ttfs[rng.IntN(len(ttfs))])
	if err != nil {
		t.Fatal(err)
	}
	size := 30 + 60*rng.Float64()
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	var sb strings.Builder
	for range n {
		sb.WriteByte(byte('0' + rng.IntN(10)))
	}
	bg, ink := color.Gray{245}, color.Gray{20}
	if !dark {
		bg, ink = color.Gray{0}, color.Gray{230}
	}
	typeset := func(text string) *image.Gray {
		dr := &font.Drawer{Src: image.NewUniform(ink), Face: face}
		adv := dr.MeasureString(text).Ceil()
		pad := int(size / 3)
		m := image.NewGray(image.Rect(0, 0, adv+2*pad, int(size*1.2)+2*pad))
		draw.Draw(m, m.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
		dr.Dst = m
		dr.Dot = fixed.P(pad, pad+int(size))
		dr.DrawString(text)
		return m
	}
	for _, c := range sb.String() {
		alone = append(alone, typeset(string(c)))
	}
	return typeset(sb.String()), sb.String(), alone
}

// numberKind counts how one kind of generated number was read.
type numberKind struct {
	name               string
	n, correct         int
	fair, fairCorrect  int // numbers whose digits read right alone
	unsure, wrongSure  int // flagged unsure; wrong and not flagged
	wrongCount, length int // wrong number of digits; digits in all
}

// rate is the share of the fair numbers read right.
func (kd *numberKind) rate() float64 { return float64(kd.fairCorrect) / float64(max(1, kd.fair)) }

// readNumbers generates perKind numbers of 2 to 6 digits of each kind
// (MNIST digits from set composed, Go fonts typeset) with rng seeded by
// seed, reads them with model, and counts. A misread number whose digits
// read right alone is logged (and written to $RAKAM_NUMBER_DUMP).
func readNumbers(t *testing.T, model *infer.Model, set *mnist.Set, seed uint64, perKind int) []*numberKind {
	rng := rand.New(rand.NewPCG(seed, 4))
	kinds := []*numberKind{{name: "MNIST digits"}, {name: "Go fonts"}}
	for k, kd := range kinds {
		for i := range perKind {
			n := 2 + i%5
			dark := i%2 == 0
			var img *image.Gray
			var truth string
			var alone []*image.Gray
			if k == 0 {
				img, truth, alone = mnistNumber(rng, set, n, dark)
			} else {
				img, truth, alone = fontNumber(t, rng, n, dark)
			}
			fair := true
			for j, a := range alone {
				p, err := model.PredictImage(a)
				if err != nil {
					t.Fatal(err)
				}
				fair = fair && p.Label == int(truth[j]-'0')
			}
			got, err := model.PredictNumber(img)
			if err != nil {
				t.Fatalf("%s, number %d (%s): %v", kd.name, i, truth, err)
			}
			kd.n++
			kd.length += n
			if fair {
				kd.fair++
			}
			if got.Unsure {
				kd.unsure++
			}
			if len(got.Number) != len(truth) {
				kd.wrongCount++
			}
			if got.Number == truth {
				kd.correct++
				if fair {
					kd.fairCorrect++
				}
				continue
			}
			if !got.Unsure {
				kd.wrongSure++
			}
			if !fair {
				continue
			}
			if dir := os.Getenv("RAKAM_NUMBER_DUMP"); dir != "" {
				dumpNumber(t, dir, fmt.Sprintf("s%d-%d-%03d-%s-%s", seed, k, i, truth, got.Number), img, got)
			}
			t.Logf("seed %d, %s %d: %s read as %s (unsure %v %v; %dx%d, dark %v)", seed, kd.name, i, truth, got.Number, got.Unsure, got.Reasons, img.Bounds().Dx(), img.Bounds().Dy(), dark)
		}
	}
	for _, kd := range kinds {
		t.Logf("seed %d, %s: %d/%d numbers whose digits are read right alone are read right (%.1f%%); over all %d numbers: %d right (%.1f%%), %d with a wrong digit count, %d flagged unsure, %d wrong without the flag",
			seed, kd.name, kd.fairCorrect, kd.fair, 100*kd.rate(),
			kd.n, kd.correct, 100*float64(kd.correct)/float64(kd.n), kd.wrongCount, kd.unsure, kd.wrongSure)
	}
	return kinds
}

// TestReadNumbers composes numbers of 2 to 6 digits from MNIST test digits
// (varied gaps, some touching or overlapping by a pixel or two, varied
// scale and baseline, white on black and dark on white) and typesets
// others in Go fonts, and reads them with PredictNumber and a model
// trained in the test (zoo cnn, 1 epoch on 20,000 images; see numberCNN).
//
// The rate that measures the number reading is over the numbers whose
// digits the model reads right when each is drawn alone the same way
// (PredictImage): then a wrong number is the segmentation's fault. That
// 1-epoch model misreads about one digit in 40 of these, which alone would
// cost a four-digit number 10%. The goal is 95%.
//
// These are the graded numbers: MNIST test digits, seed 15. The segmentation
// and the scoring were tuned on other numbers (TestTuneNumbers: MNIST
// training digits the model never trained on, seeds 101 to 108: 96.9%,
// 2131 of 2200, up from 95.3%, 2097), and checked on test digits with
// seeds 201 to 203 (96.6%, 798 of 826; 95.0% before); these were looked
// at twice while tuning, no choice was made on them.
// Measured on 2026-12-06 at 1 epoch, 300 numbers of each kind a seed:
// MNIST compositions 95.3% (261 of 274) with seed 15, 95.3% and 94.6%
// with seeds 16 and 17 (before cuts were judged by the strokes they cross,
// a 5's lifted bar joined its body and a 1 cut off a digit it touches
// counted for the cut: 94.9%, 94.6%, 93.5%); typeset 97.7% (96.5%,
// 97.3%), unchanged. The test asks 95% (typeset) and 94% (MNIST) of them,
// the rate over all numbers within 10 points of what reading each digit
// alone gives, and that at least 4 in 5 of the numbers read wrong are
// flagged unsure.
func TestReadNumbers(t *testing.T) {
	model, _, set := numberCNN(t)
	kinds := readNumbers(t, model, set, 15, 300)
	t.Log("model: zoo cnn, 1 epoch on 20,000 MNIST images")
	for k, kd := range kinds {
		want := []float64{0.94, 0.95}[k]
		if rate := kd.rate(); kd.fair < kd.n/2 || rate < want {
			t.Errorf("%s: %d of %d numbers whose digits are read right alone read right (%.1f%%); want at least %.0f%% (of at least half the numbers)", kd.name, kd.fairCorrect, kd.fair, 100*rate, 100*want)
		}
		// Reading the digits alone gets fair/n of the numbers right; the
		// segmentation may lose at most 10 points of that.
		if rate, want := float64(kd.correct)/float64(kd.n), float64(kd.fair)/float64(kd.n)-0.10; rate < want {
			t.Errorf("%s: %.1f%% of all numbers read right; want at least %.1f%% (the numbers whose digits are read right alone, less 10 points)", kd.name, 100*rate, 100*want)
		}
		if wrong := kd.n - kd.correct; wrong > 0 && float64(kd.wrongSure) > 0.2*float64(wrong) {
			t.Errorf("%s: %d of the %d numbers read wrong are not flagged unsure; want at most a fifth", kd.name, kd.wrongSure, wrong)
		}
	}
}

// TestTuneNumbers reads numbers that are not graded, to choose the
// segmentation's cuts on: MNIST training digits 20,000 on (which the quick
// model never trained on) composed as TestReadNumbers composes test digits,
// with the seeds in $RAKAM_NUMBER_TUNE ("101 102 103"), 300 of each kind
// per seed. It is skipped without that variable.
func TestTuneNumbers(t *testing.T) {
	seeds := strings.Fields(os.Getenv("RAKAM_NUMBER_TUNE"))
	if len(seeds) == 0 {
		t.Skip("set RAKAM_NUMBER_TUNE to seeds to read the tuning numbers")
	}
	model, trainSet, _ := numberCNN(t)
	idx := make([]int, trainSet.N-20000)
	for i := range idx {
		idx[i] = 20000 + i
	}
	set := trainSet.Subset(idx)
	var sums [2][2]int
	for _, s := range seeds {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RAKAM_NUMBER_TUNE: %v", err)
		}
		for k, kd := range readNumbers(t, model, set, seed, 300) {
			sums[k][0] += kd.fairCorrect
			sums[k][1] += kd.fair
		}
	}
	t.Logf("all seeds: MNIST digits %d/%d (%.1f%%), Go fonts %d/%d (%.1f%%)", sums[0][0], sums[0][1], 100*float64(sums[0][0])/float64(sums[0][1]), sums[1][0], sums[1][1], 100*float64(sums[1][0])/float64(sums[1][1]))
}

// dumpNumber writes a misread number's image, with its parts' boxes and
// 28x28s, and the image as it was read (-source.png), for a person to
// look at (RAKAM_NUMBER_DUMP=DIR).
func dumpNumber(t *testing.T, dir, name string, img *image.Gray, got infer.NumberPrediction) {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, max(b.Dx(), 30*len(got.Digits)), b.Dy()+30))
	draw.Draw(out, b, img, b.Min, draw.Src)
	for i, d := range got.Digits {
		if d.Digit != nil {
			draw.Draw(out, image.Rect(30*i, b.Dy()+1, 30*i+28, b.Dy()+29), d.Digit.Gray, image.Point{}, draw.Src)
		}
		r := d.Box
		for x := r.Min.X; x < r.Max.X; x++ {
			out.SetGray(x, r.Min.Y, color.Gray{128})
			out.SetGray(x, r.Max.Y-1, color.Gray{128})
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			out.SetGray(r.Min.X, y, color.Gray{128})
			out.SetGray(r.Max.X-1, y, color.Gray{128})
		}
	}
	for suffix, m := range map[string]*image.Gray{".png": out, "-source.png": img} {
		f, err := os.Create(filepath.Join(dir, name+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, m); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}
