package scratch

import (
	"context"
	"testing"

	"github.com/rakam-ml/rakam/mnist"
)

func loadMNIST(t *testing.T) (train, val, test *mnist.Set) {
	t.Helper()
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("skipping: MNIST not found: %v", err)
	}
	full, err := mnist.LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	train, val, err = full.Split(5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	test, err = mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return train, val, test
}

// TestOneEpochOnMNIST trains one epoch on the real 55k training images and
// expects at least 0.95 on the 10k test images.
func TestOneEpochOnMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping MNIST training in -short mode")
	}
	train, val, test := loadMNIST(t)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.LR = 1, 32, 0.2
	net, hist, err := Train(context.Background(), cfg, train, val, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].ValAccuracy < 0.9 {
		t.Fatalf("history = %+v; want one epoch with validation accuracy above 0.9", hist)
	}
	ev, err := Evaluate(net, test, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1 epoch: test accuracy %.4f, loss %.4f, macro F1 %.4f", ev.Summary.Accuracy, ev.Loss, ev.Summary.MacroF1)
	if ev.Summary.Accuracy < 0.95 {
		t.Errorf("test accuracy after 1 epoch = %.4f; want at least 0.95", ev.Summary.Accuracy)
	}
}

// TestTrainIsBitIdentical trains twice with the same seed on a subset and
// expects identical weights, and different weights with another seed.
func TestTrainIsBitIdentical(t *testing.T) {
	train, val, _ := loadMNIST(t)
	idx := make([]int, 3000)
	for i := range idx {
		idx[i] = i
	}
	small := train.Subset(idx)
	cfg := DefaultConfig()
	cfg.Epochs = 2
	run := func(seed uint64) *Network {
		c := cfg
		c.Seed = seed
		net, _, err := Train(context.Background(), c, small, val.Subset(idx[:500]), nil)
		if err != nil {
			t.Fatal(err)
		}
		return net
	}
	a, b, c := run(1), run(1), run(2)
	for name, pair := range map[string][2][]float32{"W1": {a.W1, b.W1}, "b1": {a.B1, b.B1}, "W2": {a.W2, b.W2}, "b2": {a.B2, b.B2}} {
		for i := range pair[0] {
			if pair[0][i] != pair[1][i] {
				t.Fatalf("two runs with seed 1 differ at %s[%d]: %v vs %v", name, i, pair[0][i], pair[1][i])
			}
		}
	}
	if a.W2[0] == c.W2[0] && a.W2[1] == c.W2[1] {
		t.Error("seeds 1 and 2 gave the same weights")
	}
}

// TestDivergenceIsReported uses a learning rate large enough to blow up and
// expects ErrDiverged naming the epoch and batch, and no network.
func TestDivergenceIsReported(t *testing.T) {
	train, _, _ := loadMNIST(t)
	idx := make([]int, 2000)
	for i := range idx {
		idx[i] = i
	}
	cfg := DefaultConfig()
	cfg.Epochs, cfg.LR = 1, 1e6
	net, _, err := Train(context.Background(), cfg, train.Subset(idx), nil, nil)
	if err == nil || net != nil {
		t.Fatalf("Train with lr 1e6 = %v, %v; want ErrDiverged and no network", net, err)
	}
	t.Log(err)
}
