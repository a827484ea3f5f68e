package infer_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/nn"
)

// rowImage draws dark marks on light paper: bars (x, width) from top to
// bottom of a 100-pixel row, and a dash (x, width) half-way down.
func rowImage(bars, dashes [][2]int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 260, 120))
	for i := range img.Pix {
		img.Pix[i] = 235
	}
	for _, b := range bars {
		for y := 10; y < 110; y++ {
			for x := b[0]; x < b[0]+b[1]; x++ {
				img.SetGray(x, y, color.Gray{20})
			}
		}
	}
	for _, d := range dashes {
		for y := 56; y < 66; y++ {
			for x := d[0]; x < d[0]+d[1]; x++ {
				img.SetGray(x, y, color.Gray{20})
			}
		}
	}
	return img
}

// confident returns n rows of probabilities, each p on digit d and the
// rest shared by the others.
func confident(n, d int, p float32) []float32 {
	probs := make([]float32, n*infer.Classes)
	for i := range n {
		for c := range infer.Classes {
			probs[i*infer.Classes+c] = (1 - p) / (infer.Classes - 1)
		}
		probs[i*infer.Classes+d] = p
	}
	return probs
}

// TestNumberAnswer checks the rules that turn the parts' probabilities
// into a number: a mark that is not a digit is left out of the number and
// makes it unsure; a digit read with a low top probability makes it
// unsure, with the reason; a blank image is no number; probabilities of
// the wrong length are refused.
func TestNumberAnswer(t *testing.T) {
	th := infer.DefaultThresholds
	np, err := infer.SegmentNumber(rowImage([][2]int{{40, 12}, {200, 12}}, [][2]int{{100, 50}}))
	if err != nil {
		t.Fatal(err)
	}
	n := len(np.Digits)
	if n < 3 || len(np.Pixels) != n*infer.Pixels {
		t.Fatalf("two bars and a dash give %d parts and %d pixels; want at least 3 parts, 784 pixels each", n, len(np.Pixels))
	}
	got, err := np.Answer(confident(n, 7, 0.99), th)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != "77" || len(got.Digits) != 3 || !got.Digits[1].NotDigit || !got.Unsure || !got.Inverted {
		t.Fatalf("bar, dash, bar read as %+v; want number 77, the dash a part that is not a digit, unsure, inverted", got)
	}
	if !strings.Contains(strings.Join(got.Reasons, "; "), "part 2 of 3 is not a digit") {
		t.Errorf("reasons %q; want the dash named", got.Reasons)
	}
	if b := got.Digits; !(b[0].Box.Max.X <= b[1].Box.Min.X && b[1].Box.Max.X <= b[2].Box.Min.X) || b[0].Box.Min.X < 35 || b[2].Box.Max.X > 217 {
		t.Errorf("boxes %v, %v, %v; want left to right around the marks", b[0].Box, b[1].Box, b[2].Box)
	}

	np, err = infer.SegmentNumber(rowImage([][2]int{{40, 12}, {140, 12}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	n = len(np.Digits)
	sure, err := np.Answer(confident(n, 1, 0.99), th)
	if err != nil || sure.Number != "11" || sure.Unsure || sure.NotDigit || len(sure.Reasons) != 0 {
		t.Errorf("two bars read confidently as 1 = %+v, %v; want 11, sure", sure, err)
	}
	doubt, err := np.Answer(confident(n, 1, 0.6), th)
	if err != nil || doubt.Number != "11" || !doubt.Unsure || !doubt.Digits[0].Unsure || doubt.Digits[0].NotDigit ||
		!strings.Contains(strings.Join(doubt.Reasons, "; "), "is 1 at only 60%") {
		t.Errorf("two bars read as 1 at 60%% = %+v, %v; want 11, unsure, the reason given", doubt, err)
	}
	if _, err := np.Answer(confident(n+1, 1, 0.9), th); !errors.Is(err, infer.ErrInput) {
		t.Errorf("Answer with %d rows of probabilities for %d parts = %v; want ErrInput", n+1, n, err)
	}

	blank := image.NewGray(image.Rect(0, 0, 50, 50))
	for i := range blank.Pix {
		blank.Pix[i] = 250
	}
	np, err = infer.SegmentNumber(blank)
	if err != nil || len(np.Digits) != 0 {
		t.Fatalf("SegmentNumber(blank) = %d parts, %v; want none and no error", len(np.Digits), err)
	}
	if got, err := np.Answer(nil, th); err != nil || got.Number != "" || !got.NotDigit || got.Unsure || len(got.Digits) != 0 {
		t.Errorf("blank page read as %+v, %v; want no number, not a digit", got, err)
	}
	if _, err := infer.SegmentNumber(image.NewGray(image.Rect(0, 0, 0, 0))); err == nil {
		t.Errorf("SegmentNumber of an empty image succeeded; want an error")
	}
}

// TestPredictNumberPaths: PredictNumber, PredictNumberBytes and
// PredictNumberFile give what SegmentNumber, PredictBatch and Answer with
// the model's thresholds give; errors name the file.
func TestPredictNumberPaths(t *testing.T) {
	m, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 4, Kernel: 3, Stride: 2}, {Kind: "ReLU"}, {Kind: "Flatten"}, {Kind: "Dense", Units: 10},
	}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	model, err := infer.New(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := rowImage([][2]int{{40, 12}, {140, 12}, {200, 12}}, nil)
	np, err := infer.SegmentNumber(img)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := model.PredictBatch(np.Pixels, len(np.Digits))
	if err != nil {
		t.Fatal(err)
	}
	want, err := np.Answer(probs, model.Thresholds())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	path := filepath.Join(t.TempDir(), "row.png")
	os.WriteFile(path, buf.Bytes(), 0o644)
	fromImage, err1 := model.PredictNumber(img)
	fromBytes, err2 := model.PredictNumberBytes(buf.Bytes())
	fromFile, err3 := model.PredictNumberFile(path)
	for name, got := range map[string]infer.NumberPrediction{"PredictNumber": fromImage, "PredictNumberBytes": fromBytes, "PredictNumberFile": fromFile} {
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		if got.Number != want.Number || len(got.Digits) != 3 || got.Unsure != want.Unsure {
			t.Errorf("%s = %q (%d digits, unsure %v); want %q (3 digits, unsure %v)", name, got.Number, len(got.Digits), got.Unsure, want.Number, want.Unsure)
			continue
		}
		for i, d := range got.Digits {
			if d.Box != want.Digits[i].Box || !slices.Equal(d.Probabilities, want.Digits[i].Probabilities) {
				t.Errorf("%s digit %d = %v %v; want %v %v", name, i, d.Box, d.Probabilities, want.Digits[i].Box, want.Digits[i].Probabilities)
			}
		}
	}
	if _, err := model.PredictNumberFile(filepath.Join(t.TempDir(), "missing.png")); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("PredictNumberFile(missing) = %v; want an error naming the file", err)
	}
	if _, err := model.PredictNumberBytes([]byte("not an image")); err == nil {
		t.Errorf("PredictNumberBytes(text) succeeded; want an error")
	}
}

// ringsImage draws dark rings on light paper, each w wide and 100 high,
// the next starting dx to the right, with a pen 8 px wide.
func ringsImage(n, w, dx int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 40+dx*(n-1)+w, 140))
	for i := range img.Pix {
		img.Pix[i] = 235
	}
	rx, ry := float64(w)/2-4, 46.0
	for k := range n {
		cx, cy := 20+float64(k*dx)+float64(w)/2, 70.0
		for y := range 140 {
			for x := range img.Rect.Dx() {
				u, v := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
				// Distance from the ellipse, roughly, in pixels.
				if d := (math.Sqrt(u*u+v*v) - 1) * min(rx, ry); d > -4 && d < 4 {
					img.SetGray(x, y, color.Gray{20})
				}
			}
		}
	}
	return img
}

// TestNumberTouchingPair: two 0s that touch, read as surely whole as cut
// in two, are read as two: the cut between them crosses one stroke, where
// a cut through one digit crosses two.
func TestNumberTouchingPair(t *testing.T) {
	np, err := infer.SegmentNumber(ringsImage(2, 60, 58))
	if err != nil {
		t.Fatal(err)
	}
	got, err := np.Answer(confident(len(np.Digits), 0, 0.99), infer.DefaultThresholds)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != "00" {
		for _, p := range np.Parts {
			t.Logf("part %v cut %v, crossing %d strokes", p.Box, p.Cut, p.CutStrokes)
		}
		t.Errorf("two touching 0s read as %q; want 00", got.Number)
	}
	// One 0 as wide is not cut.
	np, err = infer.SegmentNumber(ringsImage(1, 118, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := np.Answer(confident(len(np.Digits), 0, 0.99), infer.DefaultThresholds); err != nil || got.Number != "0" {
		t.Errorf("a wide 0 read as %q, %v; want 0", got.Number, err)
	}
}

// TestNumberOneBeside: a 1 touching a 0, which the model reads whole as a
// 0 more surely than it reads the 1 cut off, is read as 10: the rest of
// the cut still reads as the 0 the whole did.
func TestNumberOneBeside(t *testing.T) {
	// The 0 with room on its right for the 1.
	img := image.NewGray(image.Rect(0, 0, 120, 140))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{235}), image.Point{}, draw.Src)
	zero := ringsImage(1, 64, 0)
	draw.Draw(img, zero.Bounds(), zero, image.Point{}, draw.Src)
	for y := 20; y < 121; y++ {
		for x := 88; x < 98; x++ {
			img.SetGray(x, y, color.Gray{20})
		}
	}
	// Joined to the 0 by a short stroke.
	for y := 68; y < 73; y++ {
		for x := 80; x < 90; x++ {
			img.SetGray(x, y, color.Gray{20})
		}
	}
	np, err := infer.SegmentNumber(img)
	if err != nil {
		t.Fatal(err)
	}
	// The parts narrower than a digit read as 1 at 90%, the others as 0
	// at 99%.
	probs := make([]float32, 0, len(np.Parts)*infer.Classes)
	for _, p := range np.Parts {
		if p.Box.Dx() < 30 {
			probs = append(probs, confident(1, 1, 0.9)...)
		} else {
			probs = append(probs, confident(1, 0, 0.99)...)
		}
	}
	got, err := np.Answer(probs, infer.DefaultThresholds)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != "01" {
		for _, p := range np.Parts {
			t.Logf("part %v cut %v stroke %v, crossing %d strokes", p.Box, p.Cut, p.Stroke, p.CutStrokes)
		}
		t.Errorf("a 0 with a 1 touching it read as %q; want 01", got.Number)
	}
}
