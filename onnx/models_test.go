package onnx_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/tensor"
)

// testModel is a model the exporter must reproduce: a Spec, a seed and how
// many SGD steps to train it for before export (0: random weights).
type testModel struct {
	name  string
	spec  nn.Spec
	steps int
	optim string  // optimiser name for optim.ByName
	lr    float64 // its learning rate
}

func dense(units int) nn.LayerSpec { return nn.LayerSpec{Kind: "Dense", Units: units} }
func kind(k string) nn.LayerSpec   { return nn.LayerSpec{Kind: k} }
func conv(filters, kernel, stride, pad int) nn.LayerSpec {
	return nn.LayerSpec{Kind: "Conv2D", Filters: filters, Kernel: kernel, Stride: stride, Pad: pad}
}

var flat = []int{784}

// testModels returns every model of the study's zoo, each trained briefly
// (so that probabilities are confident and BatchNorm's running statistics
// come from data), plus models that cover the layer kinds and input shapes
// the zoo does not use.
func testModels() []testModel {
	var ms []testModel
	for _, z := range study.Zoo() {
		steps := 150
		if len(z.Spec.Input) == 3 {
			steps = 40 // convolutions cost more per step
		}
		ms = append(ms, testModel{z.Name, z.Spec, steps, z.Optimizer, z.LR})
	}
	return append(ms,
		testModel{"activations", nn.Spec{Input: flat, Layers: []nn.LayerSpec{
			dense(64), {Kind: "LeakyReLU", Alpha: 0.1}, dense(48), kind("Tanh"),
			dense(32), kind("Sigmoid"), dense(24), kind("GELU"), dense(10)}}, 150, "adam", 1e-3},
		testModel{"strided-conv-to-dense", nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
			conv(6, 5, 2, 2), kind("GELU"), {Kind: "MaxPool2D", Kernel: 3, Stride: 2}, kind("BatchNorm"),
			dense(10)}}, 40, "adam", 1e-3},
		testModel{"untrained-2d-input", nn.Spec{Input: []int{28, 28}, Layers: []nn.LayerSpec{
			kind("Flatten"), dense(32), kind("BatchNorm"), {Kind: "LeakyReLU"}, dense(10)}}, 0, "", 0},
	)
}

var (
	mnistOnce sync.Once
	mnistTest *mnist.Set
	mnistTrn  *mnist.Set
	mnistErr  error
)

// loadMNIST returns the MNIST training and test sets, or skips the test
// when they cannot be found.
func loadMNIST(t testing.TB) (train, test *mnist.Set) {
	t.Helper()
	mnistOnce.Do(func() {
		dir, err := mnist.Locate("")
		if err != nil {
			mnistErr = err
			return
		}
		if mnistTrn, mnistErr = mnist.LoadTrain(dir); mnistErr != nil {
			return
		}
		mnistTest, mnistErr = mnist.LoadTest(dir)
	})
	if mnistErr != nil {
		t.Skipf("MNIST not available: %v", mnistErr)
	}
	return mnistTrn, mnistTest
}

// pixels returns images [from, from+n) of s as float32 in 0..1.
func pixels(s *mnist.Set, from, n int) []float32 {
	per := s.Rows * s.Cols
	out := make([]float32, n*per)
	for i, v := range s.Images[from*per : (from+n)*per] {
		out[i] = float32(v) / 255
	}
	return out
}

// buildModel builds tm with a fixed seed and trains it with its optimiser
// on MNIST for tm.steps batches of 64, so that probabilities are confident and
// BatchNorm's running statistics are real ones. Gamma and beta are then
// drawn at random so that the affine part of BatchNorm is not the identity
// either.
func buildModel(t testing.TB, tm testModel, train *mnist.Set) *nn.Sequential {
	t.Helper()
	m, err := nn.Build(tm.spec, 42)
	if err != nil {
		t.Fatalf("nn.Build(%s): %v", tm.name, err)
	}
	const batch = 64
	var loss nn.SoftmaxCrossEntropy
	rng := rand.New(rand.NewPCG(7, 7))
	var opt optim.Optimizer
	var params []optim.Param
	if tm.steps > 0 {
		if opt, err = optim.ByName(tm.optim, tm.lr); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			params = append(params, optim.Param{Name: p.Name, Value: p.Value.Data, Grad: p.Grad.Data})
		}
	}
	for step := 0; step < tm.steps; step++ {
		from := int(rng.Uint64N(uint64(train.N - batch)))
		x := tensor.FromSlice(pixels(train, from, batch), batch, 784)
		y := m.Forward(x, true)
		_, dy, err := loss.Forward(y, train.Labels[from:from+batch])
		if err != nil {
			t.Fatal(err)
		}
		m.Backward(dy)
		if err := opt.Step(params); err != nil {
			t.Fatal(err)
		}
	}
	if tm.steps == 0 {
		// No training: make the running statistics non-trivial by a few
		// training-mode passes, then by drawing them at random.
		for i := 0; i < 3; i++ {
			m.Forward(tensor.FromSlice(pixels(train, 256*i, 256), 256, 784), true)
		}
		for _, l := range m.Layers {
			if bn, ok := l.(*nn.BatchNorm); ok {
				for i := range bn.RunningMean.Value.Data {
					bn.RunningMean.Value.Data[i] += float32(rng.NormFloat64() * 0.3)
					bn.RunningVar.Value.Data[i] *= float32(0.5 + rng.Float64())
				}
			}
		}
	}
	for _, l := range m.Layers {
		if bn, ok := l.(*nn.BatchNorm); ok {
			for i := range bn.Gamma.Value.Data {
				bn.Gamma.Value.Data[i] = float32(0.5 + rng.Float64())
				bn.Beta.Value.Data[i] = float32(rng.NormFloat64() * 0.2)
			}
		}
	}
	return m
}

// probabilities runs m in evaluation mode on n images of 784 pixels and
// returns the softmax probabilities, (n, 10) row-major.
func probabilities(m *nn.Sequential, px []float32, n int) []float32 {
	const batch = 500
	out := make([]float32, 0, n*10)
	var p *tensor.Tensor
	for from := 0; from < n; from += batch {
		b := min(batch, n-from)
		x := tensor.FromSlice(px[from*784:(from+b)*784], b, 1, 28, 28)
		p = nn.Softmax(p, m.Forward(x, false))
		out = append(out, p.Data[:b*10]...)
	}
	return out
}
