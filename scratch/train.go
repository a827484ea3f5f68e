package scratch

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/tensor"
)

// Config holds study 1's hyperparameters. The zero value is not useful; use
// DefaultConfig.
type Config struct {
	Hidden int     `json:"hidden"`
	Epochs int     `json:"epochs"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"`
	Seed   uint64  `json:"seed"`
}

// DefaultConfig is the seed study's set-up: 128 hidden units, 10 epochs,
// batch 64, learning rate 0.1, seed 1.
func DefaultConfig() Config {
	return Config{Hidden: 128, Epochs: 10, Batch: 64, LR: 0.1, Seed: 1}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.Hidden < 1 || c.Hidden > 65536:
		return fmt.Errorf("scratch: hidden units must be from 1 to 65536, got %d", c.Hidden)
	case c.Epochs < 1:
		return fmt.Errorf("scratch: epochs must be at least 1, got %d", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("scratch: batch size must be at least 1, got %d", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("scratch: learning rate must be a positive number, got %v", c.LR)
	}
	return nil
}

// MaxLoss is the batch loss taken as divergence. Training starts near
// ln 10 ≈ 2.3; a loss ten thousand nats high only comes from exploding
// weights (package train uses the same limit).
const MaxLoss = 1e4

// ErrDiverged is returned when the loss stops being a finite number.
var ErrDiverged = fmt.Errorf("scratch: training diverged")

// Train fits a new network on train, evaluating on val after every epoch
// and calling progress (if not nil) with each epoch's row. It stops early
// with ctx's error if ctx is cancelled, and with an error wrapping
// ErrDiverged (naming the epoch and batch) if the loss becomes NaN or Inf;
// the network is then not returned.
func Train(ctx context.Context, cfg Config, train, val *mnist.Set, progress func(results.Epoch)) (*Network, []results.Epoch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if train.N == 0 {
		return nil, nil, fmt.Errorf("scratch: the training set is empty")
	}
	pixels := train.Rows * train.Cols
	net := New(pixels, cfg.Hidden, 10, cfg.Seed)
	loader, err := data.NewLoader(train, cfg.Batch, data.Options{Shuffle: true, Seed: cfg.Seed})
	if err != nil {
		return nil, nil, err
	}
	lr := float32(cfg.LR)
	var history []results.Epoch
	pred := make([]int, min(cfg.Batch, train.N)) // a batch never holds more than the set
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		var lossSum float64
		seen, right := 0, 0
		it := loader.Epoch(epoch)
		for batch := 1; ; batch++ {
			x, y, ok := it.Next()
			if !ok {
				break
			}
			if err := ctx.Err(); err != nil {
				it.Close()
				return nil, history, err
			}
			b := len(y)
			p := net.Forward(x, b)
			loss := net.Loss(y)
			if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > MaxLoss {
				it.Close()
				return nil, history, fmt.Errorf("%w at epoch %d, batch %d: loss is %v (try a smaller --lr)", ErrDiverged, epoch, batch, loss)
			}
			lossSum += float64(loss * float64(b))
			tensor.ArgmaxRows(b, net.Out, p, pred)
			for i := 0; i < b; i++ {
				if pred[i] == int(y[i]) {
					right++
				}
			}
			seen += b
			net.Backward(x, y)
			net.Step(lr)
		}
		it.Close()
		// Seconds is the training phase only, as in package train, so
		// images/s compare across models.
		row := results.Epoch{Epoch: epoch, TrainLoss: lossSum / float64(seen), TrainAccuracy: float64(right) / float64(seen), LR: cfg.LR,
			Seconds: time.Since(start).Seconds()}
		if val != nil && val.N > 0 {
			ev, err := Evaluate(net, val, 1000)
			if err != nil {
				return nil, history, err
			}
			row.ValLoss, row.ValAccuracy = ev.Loss, ev.Summary.Accuracy
		}
		history = append(history, row)
		if progress != nil {
			progress(row)
		}
	}
	if !net.Finite() {
		return nil, history, fmt.Errorf("%w: weights are not finite after training", ErrDiverged)
	}
	return net, history, nil
}

// Evaluation is a network's score on one set.
type Evaluation struct {
	Summary metrics.Summary
	Loss    float64
	// Probs holds N×10 class probabilities, row i for image i.
	Probs []float32
}

// Evaluate runs the network over set in batches of batch images.
func Evaluate(net *Network, set *mnist.Set, batch int) (*Evaluation, error) {
	pixels := set.Rows * set.Cols
	if pixels != net.In {
		return nil, fmt.Errorf("scratch: images have %d pixels, the network takes %d", pixels, net.In)
	}
	probs := make([]float32, set.N*net.Out)
	x := make([]float32, batch*pixels)
	pred := make([]int, set.N)
	for lo := 0; lo < set.N; lo += batch {
		hi := min(lo+batch, set.N)
		b := hi - lo
		data.Normalize(x[:b*pixels], set.Images[lo*pixels:hi*pixels])
		p := net.Forward(x[:b*pixels], b)
		copy(probs[lo*net.Out:], p)
		tensor.ArgmaxRows(b, net.Out, p, pred[lo:hi])
	}
	conf := metrics.NewConfusion(net.Out)
	if err := conf.AddAll(set.Labels, pred); err != nil {
		return nil, err
	}
	loss, err := metrics.LogLoss(probs, set.Labels, net.Out)
	if err != nil {
		return nil, err
	}
	return &Evaluation{Summary: conf.Summarize(), Loss: loss, Probs: probs}, nil
}
