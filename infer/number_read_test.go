package infer_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

// numberCNN trains the zoo's cnn for one epoch on 20,000 MNIST training
// images (about fifteen seconds), as cmd/rakam's quickCNN does, and
// returns it with the MNIST test set.
func numberCNN(t *testing.T) (*infer.Model, *mnist.Set) {
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
	entry, err := study.ZooByName("cnn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(entry.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 20000)
	for i := range idx {
		idx[i] = i
	}
	loader, err := data.NewLoader(trainSet.Subset(idx), 64, data.Options{Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Fit(context.Background(), m, loader, nil, train.Config{Epochs: 1, Optimizer: optim.NewAdam(0.002)}); err != nil {
		t.Fatal(err)
	}
	model, err := infer.New(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return model, testSet
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
// same factor, the gaps between their inks drawn from -2..8 scaled pixels
// (negative: overlapping by a pixel or two, often touching), the baseline
// jittered by up to 3 scaled pixels; white on black, or inverted.
func mnistNumber(rng *rand.Rand, set *mnist.Set, pool [][]int, n int, dark bool) (*image.Gray, string) {
	s := 1 + 1.5*rng.Float64()
	var truth strings.Builder
	var glyphs []*image.Gray
	for range n {
		d := rng.IntN(10)
		truth.WriteByte(byte('0' + d))
		glyphs = append(glyphs, mnistInk(set, pool[d][rng.IntN(len(pool[d]))], s))
	}
	margin := int(8 * s)
	gaps := make([]int, n)
	w := 2 * margin
	for i, g := range glyphs {
		w += g.Bounds().Dx()
		if i > 0 {
			gaps[i] = int(math.Round(float64(rng.IntN(11)-2) * s))
			w += gaps[i]
		}
	}
	jitter := int(3 * s)
	h := int(20*s) + 2*margin + 2*jitter
	img := image.NewGray(image.Rect(0, 0, w, h))
	x := margin
	for i, g := range glyphs {
		x += gaps[i]
		b := g.Bounds()
		y := margin + jitter + (int(20*s)-b.Dy())/2 + rng.IntN(2*jitter+1) - jitter
		for yy := range b.Dy() {
			for xx := range b.Dx() {
				p := &img.Pix[(y+yy)*img.Stride+x+xx]
				*p = max(*p, g.Pix[yy*g.Stride+xx])
			}
		}
		x += b.Dx()
	}
	if dark {
		for i := range img.Pix {
			img.Pix[i] = 255 - img.Pix[i]
		}
	}
	return img, truth.String()
}

// fontNumber typesets n random digits in a Go font at 30..90 px, dark on
// light or light on dark.
func fontNumber(t *testing.T, rng *rand.Rand, n int, dark bool) (*image.Gray, string) {
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
	var truth strings.Builder
	for range n {
		truth.WriteByte(byte('0' + rng.IntN(10)))
	}
	bg, ink := color.Gray{245}, color.Gray{20}
	if !dark {
		bg, ink = color.Gray{0}, color.Gray{230}
	}
	dr := &font.Drawer{Src: image.NewUniform(ink), Face: face}
	adv := dr.MeasureString(truth.String()).Ceil()
	pad := int(size / 3)
	img := image.NewGray(image.Rect(0, 0, adv+2*pad, int(size*1.2)+2*pad))
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	dr.Dst = img
	dr.Dot = fixed.P(pad, pad+int(size))
	dr.DrawString(truth.String())
	return img, truth.String()
}

// TestReadNumbers composes numbers of 2 to 6 digits from MNIST test digits
// (varied gaps, some touching or overlapping by a pixel or two, varied
// scale and baseline, white on black and dark on white) and typesets
// others in Go fonts, and checks that PredictNumber reads at least 95% of
// them right with a model trained in the test.
//
// The MNIST numbers are composed of test digits the model reads right
// alone, so that a wrong number is the segmentation's fault: a 1-epoch
// model gets about one MNIST digit in 50 wrong, which alone would cost a
// six-digit number 11%. The rate over numbers of any test digits is
// measured and logged too.
func TestReadNumbers(t *testing.T) {
	model, set := numberCNN(t)
	// The test digits the model reads right on their own, by label.
	x := make([]float32, set.N*infer.Pixels)
	for i, p := range set.Images {
		x[i] = float32(p) / 255
	}
	probs, err := model.PredictBatch(x, set.N)
	if err != nil {
		t.Fatal(err)
	}
	labels := infer.Labels(probs, set.N, infer.Classes)
	right, all := make([][]int, 10), make([][]int, 10)
	nRight := 0
	for i, l := range labels {
		d := int(set.Labels[i])
		all[d] = append(all[d], i)
		if l == d {
			right[d] = append(right[d], i)
			nRight++
		}
	}
	digitAcc := float64(nRight) / float64(set.N)

	rng := rand.New(rand.NewPCG(15, 4))
	type kind struct {
		name       string
		n, correct int
		unsure     int // numbers flagged unsure
		wrongSure  int // wrong and not flagged
	}
	kinds := []*kind{{name: "MNIST digits read right alone"}, {name: "Go fonts"}, {name: "any MNIST test digits"}}
	const perKind = 150
	var digitsRead int
	for k, kd := range kinds {
		for i := range perKind {
			n := 2 + i%5
			dark := i%2 == 0
			var img *image.Gray
			var truth string
			switch k {
			case 0:
				img, truth = mnistNumber(rng, set, right, n, dark)
			case 1:
				img, truth = fontNumber(t, rng, n, dark)
			case 2:
				img, truth = mnistNumber(rng, set, all, n, dark)
			}
			got, err := model.PredictNumber(img)
			if err != nil {
				t.Fatalf("%s, number %d (%s): %v", kd.name, i, truth, err)
			}
			kd.n++
			digitsRead += len(got.Digits)
			if got.Unsure {
				kd.unsure++
			}
			if got.Number == truth {
				kd.correct++
				continue
			}
			if !got.Unsure {
				kd.wrongSure++
			}
			if dir := os.Getenv("RAKAM_NUMBER_DUMP"); dir != "" && k < 2 {
				dumpNumber(t, dir, fmt.Sprintf("%d-%03d-%s-%s", k, i, truth, got.Number), img, got)
			}
			if k < 2 {
				t.Logf("%s: %s read as %s (unsure %v %v; %dx%d, dark %v)", kd.name, truth, got.Number, got.Unsure, got.Reasons, img.Bounds().Dx(), img.Bounds().Dy(), dark)
			}
		}
	}
	t.Logf("model: zoo cnn, 1 epoch on 20,000 MNIST images; %.2f%% of the 10,000 MNIST test digits right alone", 100*digitAcc)
	for _, kd := range kinds {
		rate := float64(kd.correct) / float64(kd.n)
		t.Logf("%s: %d/%d numbers of 2-6 digits read right (%.1f%%); %d flagged unsure; %d wrong without the flag",
			kd.name, kd.correct, kd.n, 100*rate, kd.unsure, kd.wrongSure)
	}
	// Numbers of MNIST digits the model reads right alone, and typeset
	// numbers, must be read right 95% of the time.
	for _, kd := range kinds[:2] {
		if rate := float64(kd.correct) / float64(kd.n); rate < 0.95 {
			t.Errorf("%s: %.1f%% of the numbers read right; want at least 95%%", kd.name, 100*rate)
		}
	}
	// Over any test digits, the number is right when each of its digits
	// is: the digit accuracy to the power of the mean length (4) is what
	// a perfect segmentation would give; ask for that less 5 points.
	if rate, want := float64(kinds[2].correct)/float64(kinds[2].n), math.Pow(digitAcc, 4)-0.05; rate < want {
		t.Errorf("any MNIST digits: %.1f%% of the numbers read right; want at least %.1f%% (digit accuracy^4 - 5 points)", 100*rate, 100*want)
	}
	_ = fmt.Sprint(digitsRead)
}

// dumpNumber writes a misread number's image, with its parts' 28x28s
// below it, for a person to look at (RAKAM_NUMBER_DUMP=DIR).
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
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	png.Encode(f, out)
}
