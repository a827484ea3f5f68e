package infer

import (
	"errors"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/nn"
)

const testModelFile = "testdata/baseline-adam.safetensors"

// convModel is a small CNN with batch norm and dropout, random weights.
func convModel(t testing.TB) *nn.Sequential {
	t.Helper()
	m, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 6, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D", Kernel: 2},
		{Kind: "Flatten"}, {Kind: "Dense", Units: 24}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.3},
		{Kind: "Dense", Units: 10},
	}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// grayImages returns n random 8-bit images and the same as float pixels.
func grayImages(n int, seed uint64) ([]uint8, []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	g := make([]uint8, n*Pixels)
	x := make([]float32, n*Pixels)
	for i := range g {
		if rng.IntN(3) == 0 {
			g[i] = uint8(rng.IntN(256))
		}
		x[i] = float32(g[i]) / 255
	}
	return g, x
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values; want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d = %v; want %v", what, i, got[i], want[i])
		}
	}
}

func TestNewRunnerChecksShapes(t *testing.T) {
	for _, tc := range []struct {
		spec nn.Spec
		want string
	}{
		{nn.Spec{Input: []int{100}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 10}}}, "input shape [100]"},
		{nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 5}}}, "output shape [5]"},
	} {
		m, err := nn.Build(tc.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewRunner(m)
		if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewRunner(%v) = %v; want ErrModel naming %q", tc.spec.Input, err, tc.want)
		}
		if _, err := New(m, nil, nil); !errors.Is(err, ErrModel) {
			t.Errorf("New(%v) = %v; want ErrModel", tc.spec.Input, err)
		}
	}
	if _, err := NewRunner(nil); !errors.Is(err, ErrModel) {
		t.Errorf("NewRunner(nil) = %v; want ErrModel", err)
	}
}

// TestPathsSameBits: float pixels in any batch size, 8-bit images, the
// concurrent Model and one image at a time give the same bits.
func TestPathsSameBits(t *testing.T) {
	m := convModel(t)
	const n = 37
	g, x := grayImages(n, 3)
	r, err := NewRunner(m)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, n*Classes)
	if err := r.PredictInto(want, x, n, 1); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{0, 5, n, 1000} {
		got := make([]float32, n*Classes)
		if err := r.PredictInto(got, x, n, batch); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "PredictInto batch "+strconv.Itoa(batch), got, want)
		if err := r.PredictGray(got, g, n, batch); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "PredictGray batch "+strconv.Itoa(batch), got, want)
	}
	p, err := r.Predict(x, n)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "Runner.Predict", p, want)

	model, err := New(m.Replica(), nil, &Options{Concurrency: 2, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err = model.PredictBatch(x, n)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "Model.PredictBatch", p, want)
	labels := Labels(want, n, Classes)
	for i := range n {
		one, err := model.Predict(x[i*Pixels : (i+1)*Pixels])
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, "Model.Predict image "+strconv.Itoa(i), one.Probabilities, want[i*Classes:(i+1)*Classes])
		if one.Label != labels[i] {
			t.Fatalf("Model.Predict image %d: label %d; Labels gives %d", i, one.Label, labels[i])
		}
	}
}

// TestMemoryBound: the one bound is nn.ActivationBudget over the model's
// values per example, and a set larger than it is split into batches that
// give the bits of one image at a time.
func TestMemoryBound(t *testing.T) {
	wide, err := nn.Build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 96, Kernel: 3, Pad: 1}, {Kind: "MaxPool2D", Kernel: 4},
		{Kind: "Flatten"}, {Kind: "Dense", Units: 10},
	}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(wide)
	if err != nil {
		t.Fatal(err)
	}
	want := nn.ActivationBudget / wide.ValuesPerExample()
	if r.MaxBatch() != want || MaxBatch(wide) != want {
		t.Fatalf("MaxBatch = %d; want %d (budget %d / %d values per example)", r.MaxBatch(), want, nn.ActivationBudget, wide.ValuesPerExample())
	}
	if want >= 1000 {
		t.Fatalf("the wide test model allows batches of %d; make it wider so the bound splits a set", want)
	}
	n := want + 3
	g, _ := grayImages(n, 4)
	all := make([]float32, n*Classes)
	if err := r.PredictGray(all, g, n, 100000); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, want - 1, want, n - 1} {
		one := make([]float32, Classes)
		if err := r.PredictGray(one, g[i*Pixels:(i+1)*Pixels], 1, 1); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "image "+strconv.Itoa(i), all[i*Classes:(i+1)*Classes], one)
	}
}

func TestBadPixels(t *testing.T) {
	model, err := New(convModel(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, Pixels)
	two := make([]float32, 2*Pixels)
	two[Pixels+5] = 2
	for _, tc := range []struct {
		x    []float32
		n    int
		want string
	}{
		{x[:783], 1, "783 pixel values for 1 examples"},
		{nil, 0, "0 pixel values for 0 examples"},
		{two, 2, "pixel 5 of example 1 is 2"},
		{append(make([]float32, 10), float32(math.NaN())), 1, "11 pixel values"},
	} {
		_, err := model.PredictBatch(tc.x, tc.n)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PredictBatch(%d values, %d) = %v; want ErrInput naming %q", len(tc.x), tc.n, err, tc.want)
		}
	}
	nan := make([]float32, Pixels)
	nan[100] = float32(math.NaN())
	if _, err := model.Predict(nan); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "pixel 100 of example 0 is NaN") {
		t.Errorf("Predict(NaN at 100) = %v; want ErrInput naming pixel 100", err)
	}
	r, _ := NewRunner(convModel(t))
	if err := r.PredictInto(make([]float32, 9), x, 1, 0); !errors.Is(err, ErrInput) {
		t.Errorf("PredictInto(room for 9) = %v; want ErrInput", err)
	}
	if err := r.PredictGray(make([]float32, Classes), make([]uint8, 5), 1, 0); !errors.Is(err, ErrInput) {
		t.Errorf("PredictGray(5 pixels) = %v; want ErrInput", err)
	}
	if _, err := New(convModel(t), nil, &Options{Concurrency: -1}); err == nil {
		t.Error("New with Concurrency -1 succeeded; want an error")
	}
}

// TestConcurrent predicts from many goroutines at once (run it with
// -race): every answer equals the one-at-a-time answer, and no more
// replicas are built than Concurrency.
func TestConcurrent(t *testing.T) {
	const conc, goroutines, each = 3, 12, 6
	model, err := New(convModel(t), nil, &Options{Concurrency: conc, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, x := grayImages(goroutines*each, 6)
	want := make([]float32, goroutines*each*Classes)
	r, _ := NewRunner(convModel(t))
	if err := r.PredictInto(want, x, goroutines*each, 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	got := make([]float32, len(want))
	for g := range goroutines {
		wg.Go(func() {
			for k := range each {
				i := g*each + k
				var p []float32
				if k%2 == 0 {
					pr, err := model.Predict(x[i*Pixels : (i+1)*Pixels])
					p, errs[g] = pr.Probabilities, err
				} else {
					p, errs[g] = model.PredictBatch(x[i*Pixels:(i+1)*Pixels], 1)
				}
				if errs[g] != nil {
					return
				}
				copy(got[i*Classes:], p)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sameBits(t, "concurrent predictions", got, want)
	if n := len(model.idle); n > conc {
		t.Errorf("%d replicas built; want at most Concurrency %d", n, conc)
	}
}

func TestLoadNamesTheModel(t *testing.T) {
	m, err := Load(testModelFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "baseline-adam" {
		t.Errorf("Name() = %q; want the metadata's baseline-adam", m.Name())
	}
	if m.Metadata()[nn.MetaSpec] == "" {
		t.Error("Metadata() has no spec")
	}
	m, err = Load(testModelFile, &Options{Name: "digits"})
	if err != nil || m.Name() != "digits" {
		t.Errorf("Load with Options.Name digits: %v, Name() = %q", err, m.Name())
	}
	// Without rakam.name in the metadata: the file name.
	dir := t.TempDir()
	path := filepath.Join(dir, "plain.safetensors")
	if err := nn.Save(path, convModel(t), nil); err != nil {
		t.Fatal(err)
	}
	if m, err = Load(path, nil); err != nil || m.Name() != "plain" {
		t.Errorf("Load(plain.safetensors) = %v, Name() = %q; want plain", err, m.Name())
	}
	if _, err := Load(filepath.Join(dir, "missing.safetensors"), nil); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("Load(missing) = %v; want an error naming the file", err)
	}
	wrong := filepath.Join(dir, "wrong.safetensors")
	small, _ := nn.Build(nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 3}}}, 1)
	if err := nn.Save(wrong, small, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(wrong, nil); !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "wrong.safetensors") {
		t.Errorf("Load(3 classes) = %v; want ErrModel naming the file", err)
	}
}

// TestImagePaths: bytes, a decoded image and its prepared pixels give the
// same answer; a blank image is answered "not a digit" and bytes that are
// no image fail clearly.
func TestImagePaths(t *testing.T) {
	model, err := Load(testModelFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../testdata/digits/7_goitalic_thumbnail.png")
	if err != nil {
		t.Fatal(err)
	}
	fromBytes, err := model.PredictBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	fromImage, err := model.PredictImage(img)
	if err != nil {
		t.Fatal(err)
	}
	fromPixels, err := model.Predict(fromBytes.Digit.Pixels)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "PredictImage", fromImage.Probabilities, fromBytes.Probabilities)
	sameBits(t, "Predict", fromPixels.Probabilities, fromBytes.Probabilities)
	if fromBytes.Label != 7 {
		t.Errorf("PredictBytes(7_goitalic_thumbnail.png).Label = %d; want 7", fromBytes.Label)
	}
	if p, err := model.PredictImage(image.NewGray(image.Rect(0, 0, 30, 30))); err != nil || p.Label != BlankLabel || !p.NotDigit || p.Probabilities != nil || p.Digit != nil {
		t.Errorf("PredictImage(blank) = %+v, %v; want label %d, not a digit, no probabilities", p, err, BlankLabel)
	}
	if p, err := model.Predict(make([]float32, Pixels)); err != nil || p.Label != BlankLabel || !p.NotDigit {
		t.Errorf("Predict(all zero) = %+v, %v; want the blank answer", p, err)
	}
	if _, err := model.PredictBytes([]byte("not an image")); !errors.Is(err, imageprep.ErrFormat) {
		t.Errorf("PredictBytes(text) = %v; want imageprep.ErrFormat", err)
	}
}

// TestConcurrencyBound: with every replica taken, a prediction waits
// until one is given back.
func TestConcurrencyBound(t *testing.T) {
	const conc = 2
	model, err := New(convModel(t), nil, &Options{Concurrency: conc})
	if err != nil {
		t.Fatal(err)
	}
	held := []*Runner{model.acquire(), model.acquire()}
	if held[0] == held[1] {
		t.Fatal("two acquires returned the same replica")
	}
	done := make(chan error, 1)
	go func() {
		_, err := model.Predict(make([]float32, Pixels))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Predict returned (%v) while all %d replicas were in use; want it to wait", err, conc)
	case <-time.After(100 * time.Millisecond):
	}
	model.release(held[0])
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Predict still waiting 10 s after a replica was given back")
	}
	model.release(held[1])
}

// TestPredictFile: a file predicts what its bytes do, and a missing file,
// a file that is no image and one over the size limit give errors naming
// the file.
func TestPredictFile(t *testing.T) {
	m, err := Load("testdata/baseline-adam.safetensors", nil)
	if err != nil {
		t.Fatal(err)
	}
	const path = "../testdata/digits/3_hand_grey-paper.png"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.PredictBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PredictFile(path)
	if err != nil || got.Label != want.Label || !slices.Equal(got.Probabilities, want.Probabilities) {
		t.Fatalf("PredictFile = %v, %v; PredictBytes gave %v", got.Prediction, err, want.Prediction)
	}
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	small, err := Load("testdata/baseline-adam.safetensors", &Options{Limits: imageprep.Limits{MaxBytes: 1024}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    *Model
		path string
	}{{m, filepath.Join(dir, "missing.png")}, {m, notImage}, {small, big}} {
		if _, err := c.m.PredictFile(c.path); err == nil || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("PredictFile(%s) = %v; want an error naming the file", c.path, err)
		}
	}
}
