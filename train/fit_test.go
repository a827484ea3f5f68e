package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/tensor"
)

// synthetic returns n 28x28 images whose label k is drawn as a bright
// 6x6 block at a class-dependent place over uniform noise: easy to learn,
// but not before a few hundred steps.
func synthetic(n int, seed uint64) *mnist.Set {
	r := rand.New(rand.NewPCG(seed, 1))
	s := &mnist.Set{N: n, Rows: 28, Cols: 28, Images: make([]uint8, n*784), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		k := r.IntN(10)
		s.Labels[i] = uint8(k)
		img := s.Images[i*784 : (i+1)*784]
		for j := range img {
			img[j] = uint8(r.IntN(120))
		}
		r0, c0 := 2+(k/5)*12+r.IntN(3), 2+(k%5)*5
		for y := r0; y < r0+6; y++ {
			for x := c0; x < c0+4; x++ {
				img[y*28+x] = 255
			}
		}
	}
	return s
}

func mlpSpec(dropout, bn bool) nn.Spec {
	s := nn.Spec{Input: []int{784}}
	s.Layers = append(s.Layers, nn.LayerSpec{Kind: "Dense", Units: 32})
	if bn {
		s.Layers = append(s.Layers, nn.LayerSpec{Kind: "BatchNorm"})
	}
	s.Layers = append(s.Layers, nn.LayerSpec{Kind: "ReLU"})
	if dropout {
		s.Layers = append(s.Layers, nn.LayerSpec{Kind: "Dropout", Rate: 0.2})
	}
	s.Layers = append(s.Layers, nn.LayerSpec{Kind: "Dense", Units: 10})
	return s
}

func build(t testing.TB, spec nn.Spec, seed uint64) *nn.Sequential {
	t.Helper()
	m, err := nn.Build(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func loader(t testing.TB, set *mnist.Set, batch int, seed uint64) *data.Loader {
	t.Helper()
	l, err := data.NewLoader(set, batch, data.Options{Shuffle: true, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestFitLearns(t *testing.T) {
	tr, val := synthetic(600, 1), synthetic(200, 2)
	m := build(t, mlpSpec(false, false), 7)
	opt, _ := optim.ByName("adam", 0.003)
	var events bytes.Buffer
	h, err := Fit(context.Background(), m, loader(t, tr, 32, 3), val, Config{Epochs: 4, Optimizer: opt, Events: &events})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 4 || len(h.SecondsPerEpoch) != 4 || h.Images != 4*600 || h.Steps != 4*19 {
		t.Fatalf("history: %d epochs, %d times, %d images, %d steps; want 4, 4, 2400, 76", len(h.Epochs), len(h.SecondsPerEpoch), h.Images, h.Steps)
	}
	first, last := h.Epochs[0], h.Epochs[3]
	if !(last.TrainLoss < first.TrainLoss) || last.ValAccuracy < 0.9 {
		t.Errorf("did not learn: epoch 1 %+v, epoch 4 %+v", first, last)
	}
	r, err := Evaluate(m, val, 64)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Accuracy != last.ValAccuracy || math.Abs(r.LogLoss-last.ValLoss) > 1e-12 {
		t.Errorf("Evaluate = %v, %v; last epoch's validation said %v, %v", r.Summary.Accuracy, r.LogLoss, last.ValAccuracy, last.ValLoss)
	}
	// Events: one JSON object per line, train_begin … 4 epoch_end … train_end.
	lines := strings.Split(strings.TrimSpace(events.String()), "\n")
	var kinds []string
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("event line %q: %v", l, err)
		}
		kinds = append(kinds, ev["event"].(string))
	}
	if got := strings.Join(kinds, ","); got != "train_begin,epoch_end,epoch_end,epoch_end,epoch_end,train_end" {
		t.Errorf("events = %s", got)
	}
}

// TestEvaluateByHand checks Evaluate's scores against its own
// probabilities scored by hand.
func TestEvaluateByHand(t *testing.T) {
	set := synthetic(50, 4)
	m := build(t, mlpSpec(false, true), 1)
	r, err := Evaluate(m, set, 7)
	if err != nil {
		t.Fatal(err)
	}
	right, ll := 0, 0.0
	for i := 0; i < set.N; i++ {
		row := r.Probs[i*10 : i*10+10]
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		if best == int(set.Labels[i]) {
			right++
		}
		if r.Pred[i] != best {
			t.Fatalf("Pred[%d] = %d; argmax is %d", i, r.Pred[i], best)
		}
		ll -= math.Log(float64(row[set.Labels[i]]))
	}
	if acc := float64(right) / 50; r.Summary.Accuracy != acc {
		t.Errorf("accuracy %v; counted %v", r.Summary.Accuracy, acc)
	}
	if math.Abs(r.LogLoss-ll/50) > 1e-9 {
		t.Errorf("log loss %v; computed %v", r.LogLoss, ll/50)
	}
	// Batch size must not change the answer.
	r2, _ := Evaluate(m, set, 50)
	for i := range r.Probs {
		if r.Probs[i] != r2.Probs[i] {
			t.Fatalf("probabilities differ between batch 7 and 50 at %d: %v vs %v", i, r.Probs[i], r2.Probs[i])
		}
	}
}

func TestDivergence(t *testing.T) {
	tr := synthetic(200, 1)
	m := build(t, mlpSpec(false, false), 7)
	opt, _ := optim.ByName("sgd", 1e6)
	dir := t.TempDir()
	_, err := Fit(context.Background(), m, loader(t, tr, 20, 3), nil, Config{Epochs: 3, Optimizer: opt, CheckpointDir: dir})
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("Fit with lr 1e6: err = %v; want a *DivergenceError", err)
	}
	if de.Epoch != 1 || de.Batch < 1 || !strings.Contains(err.Error(), "epoch 1, batch") {
		t.Errorf("DivergenceError = %v; want epoch 1 and a batch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a checkpoint was written for a diverged run (stat: %v)", err)
	}
}

// TestDivergenceKeepsLastCheckpoint poisons a weight in the middle of
// epoch 2: training must stop at the next batch, naming it, and leave the
// end-of-epoch-1 checkpoint as it was.
func TestDivergenceKeepsLastCheckpoint(t *testing.T) {
	m := build(t, mlpSpec(false, false), 7)
	opt, _ := optim.ByName("adam", 0.01)
	dir := t.TempDir()
	cfg := Config{Epochs: 3, Optimizer: opt, CheckpointDir: dir}
	cfg.AfterBatch = func(epoch, batch int) {
		if epoch == 2 && batch == 3 {
			m.Params()[0].Value.Data[5] = float32(math.Inf(1))
		}
	}
	_, err := Fit(context.Background(), m, loader(t, synthetic(200, 1), 20, 3), nil, cfg)
	var de *DivergenceError
	if !errors.As(err, &de) || de.Epoch != 2 || de.Batch != 4 {
		t.Fatalf("Fit = %v; want divergence at epoch 2, batch 4", err)
	}
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch() != 2 || ck.Batch() != 0 || len(ck.History().Epochs) != 1 {
		t.Errorf("checkpoint at epoch %d batch %d with %d epochs of history; want the end of epoch 1", ck.Epoch(), ck.Batch(), len(ck.History().Epochs))
	}
}

func TestUnwritableCheckpointDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	m := build(t, mlpSpec(false, false), 7)
	opt, _ := optim.ByName("sgd", 0.1)
	_, err := Fit(context.Background(), m, loader(t, synthetic(20, 1), 10, 1), nil,
		Config{Epochs: 1, Optimizer: opt, CheckpointDir: filepath.Join(file, "sub")})
	if err == nil || !strings.Contains(err.Error(), "checkpoint") {
		t.Errorf("Fit with a checkpoint dir under a file: %v; want an error before training", err)
	}
}

func tensorsBytes(m *nn.Sequential) []byte {
	var b bytes.Buffer
	for _, p := range m.Tensors() {
		for _, v := range p.Value.Data {
			u := math.Float32bits(v)
			b.Write([]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)})
		}
	}
	return b.Bytes()
}

// TestResumeBitIdentical interrupts a run (dropout, batch norm, AdamW,
// cosine schedule, early stopping, plateau) in the middle of its second
// epoch and resumes it in a fresh model; the final weights must match an
// uninterrupted run bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	tr, val := synthetic(300, 1), synthetic(100, 2)
	spec := mlpSpec(true, true)
	const epochs = 3
	setup := func() (*nn.Sequential, *data.Loader, Config) {
		m := build(t, spec, 11)
		l := loader(t, tr, 32, 5)
		opt, _ := optim.ByName("adamw", 0.01)
		sch, _ := optim.Cosine{Base: 0.01, Warmup: 5, Total: epochs * l.NumBatches()}, error(nil)
		es := &EarlyStopping{Patience: 5, RestoreBestWeights: true}
		pl := NewReduceLROnPlateau("val_loss")
		pl.Plateau.Patience = 1
		return m, l, Config{Epochs: epochs, Optimizer: opt, Schedule: sch, Callbacks: []Callback{es, pl}, Meta: json.RawMessage(`{"x":1}`)}
	}
	m1, l1, c1 := setup()
	h1, err := Fit(context.Background(), m1, l1, val, c1)
	if err != nil {
		t.Fatal(err)
	}
	want := tensorsBytes(m1)

	dir := t.TempDir()
	m2, l2, c2 := setup()
	ctx, cancel := context.WithCancel(context.Background())
	c2.CheckpointDir, c2.CheckpointEvery = dir, 4
	c2.AfterBatch = func(epoch, batch int) {
		if epoch == 2 && batch == 3 {
			cancel()
		}
	}
	_, err = Fit(ctx, m2, l2, val, c2)
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInterrupted) || ie.Epoch != 2 || ie.Batch != 3 || ie.Checkpoint != dir {
		t.Fatalf("interrupted Fit: %v (%+v); want InterruptedError at epoch 2 batch 3 in %s", err, ie, dir)
	}
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch() != 2 || ck.Batch() != 3 || string(ck.Meta()) != `{"x":1}` || len(ck.History().Epochs) != 1 {
		t.Fatalf("checkpoint at epoch %d batch %d meta %s history %d", ck.Epoch(), ck.Batch(), ck.Meta(), len(ck.History().Epochs))
	}
	m3, l3, c3 := setup()
	c3.Resume, c3.CheckpointDir = ck, dir
	h3, err := Fit(context.Background(), m3, l3, val, c3)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensorsBytes(m3); !bytes.Equal(got, want) {
		t.Fatal("resumed weights differ from the uninterrupted run's")
	}
	if len(h3.Epochs) != len(h1.Epochs) || h3.Steps != h1.Steps {
		t.Fatalf("resumed history: %d epochs, %d steps; uninterrupted %d, %d", len(h3.Epochs), h3.Steps, len(h1.Epochs), h1.Steps)
	}
	for i := range h1.Epochs {
		a, b := h1.Epochs[i], h3.Epochs[i]
		a.Seconds, b.Seconds = 0, 0
		if a != b {
			t.Errorf("epoch %d: resumed %+v; uninterrupted %+v", i+1, b, a)
		}
	}
}

// TestTrainStepAllocs checks that a whole training step (forward, loss,
// backward, schedule, clipping, optimiser) allocates nothing after the first
// batch, and says which side allocates when it does.
func TestTrainStepAllocs(t *testing.T) {
	defer tensor.SetThreads(tensor.Threads())
	tensor.SetThreads(1) // the GEMM worker pool is tensor's business
	m := build(t, mlpSpec(true, true), 1)
	opt, _ := optim.ByName("adam", 1e-3, optim.ClipNorm(1))
	tr := newTrainer(m, &Config{Optimizer: opt, Schedule: optim.Cosine{Base: 1e-3, Total: 100}}, 0)
	tr.run = &Run{LRScale: 0.5, MinLR: 1e-5}
	set := synthetic(64, 1)
	x := make([]float32, 64*784)
	data.Normalize(x, set.Images)
	tr.trainStep(x, set.Labels)
	step := testing.AllocsPerRun(5, func() { tr.trainStep(x, set.Labels) })
	var xt tensor.Tensor
	var loss nn.SoftmaxCrossEntropy
	model := testing.AllocsPerRun(5, func() {
		xt.Shape, xt.Data = tr.shape, x
		logits := m.Forward(&xt, true)
		_, g, _ := loss.Forward(logits, set.Labels)
		m.Backward(g)
	})
	if step != 0 {
		t.Errorf("a training step allocates %v times after warm-up; want 0 (the model's forward+loss+backward alone: %v, so the loop adds %v)",
			step, model, step-model)
	}
}

func BenchmarkTrainStep(b *testing.B) {
	specs := map[string]nn.Spec{
		"mlp-784-128-10": {Input: []int{784}, Layers: []nn.LayerSpec{{Kind: "Dense", Units: 128}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10}}},
		"mlp-bn-dropout": mlpSpec(true, true),
		// The zoo's cnn (study/zoo.go), written out: study imports train.
		"cnn": {Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
			{Kind: "Conv2D", Filters: 16, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D", Kernel: 2},
			{Kind: "Conv2D", Filters: 32, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D", Kernel: 2},
			{Kind: "Flatten"}, {Kind: "Dense", Units: 128}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.25},
			{Kind: "Dense", Units: 10}}},
	}
	for name, spec := range specs {
		b.Run(name, func(b *testing.B) {
			m := build(b, spec, 1)
			opt, _ := optim.ByName("adam", 1e-3)
			tr := newTrainer(m, &Config{Optimizer: opt}, 0)
			tr.run = &Run{LRScale: 1}
			set := synthetic(128, 1)
			x := make([]float32, 128*784)
			data.Normalize(x, set.Images)
			tr.trainStep(x, set.Labels)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tr.trainStep(x, set.Labels)
			}
			b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

var _ = results.Epoch{}

// TestFitOutliers: examples labelled nn.NoClass (outlier exposure) train
// the model's answer on them towards uniform and are left out of the
// training accuracy: with half the set outliers, the accuracy still nears
// 1 (it could not pass 0.5 if they counted as wrong), and the model's top
// probability ends up lower on the outliers than on the digits.
func TestFitOutliers(t *testing.T) {
	set := synthetic(1200, 3)
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < set.N; i += 2 { // every other example: noise, no block
		set.Labels[i] = nn.NoClass
		img := set.Images[i*784 : (i+1)*784]
		for j := range img {
			img[j] = uint8(r.IntN(120))
		}
	}
	m := build(t, mlpSpec(false, false), 1)
	hist, err := Fit(context.Background(), m, loader(t, set, 32, 1), nil, Config{Epochs: 4, Optimizer: optim.NewAdam(3e-3)})
	if err != nil {
		t.Fatal(err)
	}
	if acc := hist.Epochs[len(hist.Epochs)-1].TrainAccuracy; acc < 0.9 {
		t.Errorf("training accuracy %.3f with half the examples outliers; want at least 0.9 over the labelled half", acc)
	}
	probs := make([]float32, 10)
	var topIn, topOut float64
	for i := 0; i < 200; i++ {
		x := tensor.New(1, 784)
		data.Normalize(x.Data, set.Images[i*784:(i+1)*784])
		nn.Softmax(tensor.FromSlice(probs, 1, 10), m.Forward(x, false))
		top := float64(probs[infer.Argmax(probs)])
		if set.Labels[i] == nn.NoClass {
			topOut += top / 100
		} else {
			topIn += top / 100
		}
	}
	if !(topOut < 0.5 && topIn > 0.8) {
		t.Errorf("mean top probability %.3f on outliers, %.3f on labelled examples; want under 0.5 and over 0.8", topOut, topIn)
	}
}
