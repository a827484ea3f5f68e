package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/tensor"
)

// Config is what Fit needs besides the model and the data.
type Config struct {
	Epochs    int             // epochs to train (counting those done before a resume)
	Optimizer optim.Optimizer // required; its LR is the base learning rate
	Schedule  optim.Schedule  // learning rate per global step; nil keeps the base rate
	Callbacks []Callback      // called after each epoch, in order
	Smoothing float32         // label smoothing of the cross-entropy loss
	ValBatch  int             // batch size for validation; 0 means 1000
	// MaxLoss is the batch loss above which training counts as diverged
	// even though the loss is still finite: 0 means DefaultMaxLoss, a
	// negative value only stops on NaN and Inf.
	MaxLoss float64

	Progress io.Writer // one-line progress display (\r-updated); nil for none
	Events   io.Writer // JSON-lines events for machines; nil for none

	// CheckpointDir, when set, receives a checkpoint at the end of every
	// epoch, every CheckpointEvery batches (0: only at epoch ends), and when
	// ctx is cancelled.
	CheckpointDir   string
	CheckpointEvery int
	// InterruptDir receives a checkpoint when ctx is cancelled and
	// CheckpointDir is empty, so an interrupted run can always resume.
	InterruptDir string
	// Resume continues the run a checkpoint describes. The model, loader
	// and configuration must be built as they were for the original run.
	Resume *Checkpoint
	// Meta is stored in checkpoints verbatim: the CLI keeps its flags there
	// so that "rakam train --resume DIR" can rebuild the run.
	Meta json.RawMessage

	// AfterBatch, when set, is called after each trained batch with the
	// 1-based epoch and the number of its batches done.
	AfterBatch func(epoch, batch int)
}

// History records a training run.
type History struct {
	Epochs          []results.Epoch `json:"epochs"`
	SecondsPerEpoch []float64       `json:"seconds_per_epoch"` // training phase of each epoch
	TrainSeconds    float64         `json:"train_seconds"`     // sum of SecondsPerEpoch
	Images          int64           `json:"images"`            // examples trained on
	StoppedEarly    bool            `json:"stopped_early"`
	Steps           int64           `json:"steps"` // optimiser steps taken
}

// ImagesPerSecond is the training throughput over the whole run.
func (h *History) ImagesPerSecond() float64 {
	if h.TrainSeconds == 0 {
		return 0
	}
	return float64(h.Images) / h.TrainSeconds
}

// Run is the state of a training run that callbacks see and steer.
type Run struct {
	Model     *nn.Sequential
	Optimizer optim.Optimizer
	History   *History
	Epoch     int // the epoch that just ended, from 0
	Epochs    int
	// Stop ends training after the current epoch's callbacks.
	Stop bool
	// LRScale multiplies the scheduled learning rate and MinLR bounds the
	// result from below once LRScale < 1 (ReduceLROnPlateau sets both).
	LRScale float64
	MinLR   float64

	events *eventWriter
}

// Event writes one JSON-lines event (when events are on).
func (r *Run) Event(kind string, fields map[string]any) { r.events.emit(kind, fields) }

// DivergenceError reports a NaN or infinite loss or weight. Training stops
// at once and nothing is saved after it.
type DivergenceError struct {
	Epoch, Batch int // 1-based, as shown to users
	Loss         float64
	LR           float64
	What         string // "loss" or the name of a parameter
}

func (e *DivergenceError) Error() string {
	if e.What == "loss" && !math.IsNaN(e.Loss) && !math.IsInf(e.Loss, 0) {
		return fmt.Sprintf("train: diverged at epoch %d, batch %d: loss %.4g is above the divergence limit (learning rate %g may be too high); training stopped, no model saved",
			e.Epoch, e.Batch, e.Loss, e.LR)
	}
	if e.What != "loss" {
		return fmt.Sprintf("train: diverged at epoch %d, batch %d: parameter %s is not finite (learning rate %g may be too high); training stopped, no model saved",
			e.Epoch, e.Batch, e.What, e.LR)
	}
	return fmt.Sprintf("train: diverged at epoch %d, batch %d: loss is %v (learning rate %g may be too high); training stopped, no model saved",
		e.Epoch, e.Batch, e.Loss, e.LR)
}

// DefaultMaxLoss is the batch cross-entropy above which Fit declares
// divergence: a loss of 10⁴ nats means the true class got probability
// e^−10000, which no training that is still learning produces (the loss of
// a random guess is ln 10 ≈ 2.3), while exploding weights with ReLUs reach
// it long before they overflow to Inf.
const DefaultMaxLoss = 1e4

// ErrInterrupted is wrapped by the error Fit returns when ctx is cancelled.
var ErrInterrupted = errors.New("train: interrupted")

// InterruptedError says where an interrupted run stopped and where its
// checkpoint went.
type InterruptedError struct {
	Epoch, Batch int    // 1-based epoch; batches of it done
	Checkpoint   string // directory of the saved checkpoint, or ""
}

func (e *InterruptedError) Error() string {
	if e.Checkpoint == "" {
		return fmt.Sprintf("train: interrupted at epoch %d after %d batches; no checkpoint directory, nothing saved", e.Epoch, e.Batch)
	}
	return fmt.Sprintf("train: interrupted at epoch %d after %d batches; checkpoint saved in %s (continue with --resume %s)",
		e.Epoch, e.Batch, e.Checkpoint, e.Checkpoint)
}

func (e *InterruptedError) Unwrap() error { return ErrInterrupted }

// trainer holds the loop's state and its reusable buffers.
type trainer struct {
	model   *nn.Sequential
	opt     optim.Optimizer
	params  []optim.Param
	loss    nn.SoftmaxCrossEntropy
	xt      tensor.Tensor
	shape   []int
	base    float64
	maxLoss float64 // positive: losses above it are not trained on
	sched   optim.Schedule
	run     *Run

	// position and running sums of the epoch in progress
	epoch, batch int
	step         int64
	lossSum      float64
	correct      int
	seen         int
	outliers     int // examples labelled nn.NoClass: in the loss, not the accuracy
	epochSeconds float64
}

// accuracy is the epoch's training accuracy so far, over the examples that
// have a class (outliers have none to get right).
func (t *trainer) accuracy() float64 {
	if t.seen <= t.outliers {
		return 0
	}
	return float64(t.correct) / float64(t.seen-t.outliers)
}

func newTrainer(model *nn.Sequential, cfg *Config, smoothing float32) *trainer {
	t := &trainer{model: model, opt: cfg.Optimizer, base: cfg.Optimizer.LR(), sched: cfg.Schedule, maxLoss: math.Inf(1)}
	t.loss.Smoothing = smoothing
	for _, p := range model.Params() {
		t.params = append(t.params, optim.Param{Name: p.Name, Value: p.Value.Data, Grad: p.Grad.Data, NoDecay: !p.Decay})
	}
	t.shape = make([]int, 2)
	return t
}

// lr is the learning rate for the next step.
func (t *trainer) lr() float64 {
	lr := t.base
	if t.sched != nil {
		lr = t.sched.LR(int(t.step))
	}
	if r := t.run; r != nil && r.LRScale != 1 && r.LRScale > 0 {
		lr = math.Max(lr*r.LRScale, r.MinLR)
	}
	return lr
}

// trainStep trains on one batch: x holds len(y) images. It returns the
// batch's mean loss (NaN or Inf is left to the caller to act on, and then
// the weights are not updated).
func (t *trainer) trainStep(x []float32, y []uint8) (float64, error) {
	n := len(y)
	t.shape[0], t.shape[1] = n, len(x)/max(n, 1)
	t.xt.Shape, t.xt.Data = t.shape, x
	logits := t.model.Forward(&t.xt, true)
	loss, grad, err := t.loss.Forward(logits, y)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > t.maxLoss {
		return loss, nil
	}
	k := logits.Cols()
	p := t.loss.Prob.Data
	for i := 0; i < n; i++ {
		if y[i] == nn.NoClass {
			t.outliers++
		} else if infer.Argmax(p[i*k:i*k+k]) == int(y[i]) {
			t.correct++
		}
	}
	t.model.Backward(grad)
	t.opt.SetLR(t.lr())
	if err := t.opt.Step(t.params); err != nil {
		return 0, err
	}
	t.step++
	t.lossSum += float64(loss * float64(n))
	t.seen += n
	return loss, nil
}

// finiteWeights reports the first parameter or state tensor holding a NaN
// or Inf, or "".
func finiteWeights(m *nn.Sequential) string {
	for _, p := range m.Tensors() {
		for _, v := range p.Value.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return p.Name
			}
		}
	}
	return ""
}

// Fit trains model on the batches of loader for cfg.Epochs epochs,
// evaluating on val (which may be nil) after each. It stops early when a
// callback sets Run.Stop, at once with a *DivergenceError when the loss or a
// weight stops being finite, and with an *InterruptedError (after saving a
// checkpoint when CheckpointDir is set) when ctx is cancelled.
func Fit(ctx context.Context, model *nn.Sequential, loader *data.Loader, val *mnist.Set, cfg Config) (*History, error) {
	if cfg.Optimizer == nil {
		return nil, errors.New("train: Config.Optimizer is nil")
	}
	if cfg.Epochs <= 0 {
		return nil, fmt.Errorf("train: %d epochs; want at least 1", cfg.Epochs)
	}
	if cfg.CheckpointEvery < 0 {
		return nil, fmt.Errorf("train: CheckpointEvery %d is negative", cfg.CheckpointEvery)
	}
	if out := model.OutputShape(); len(out) != 1 || out[0] != Classes {
		return nil, fmt.Errorf("train: model output shape %v; want [%d]", out, Classes)
	}
	maxLoss := cfg.MaxLoss
	if maxLoss == 0 {
		maxLoss = DefaultMaxLoss
	}
	valBatch := cfg.ValBatch
	if valBatch <= 0 {
		valBatch = 1000
	}
	if cfg.CheckpointDir != "" {
		if err := checkDir(cfg.CheckpointDir); err != nil {
			return nil, err
		}
	}
	t := newTrainer(model, &cfg, cfg.Smoothing)
	t.maxLoss = math.Inf(1)
	if maxLoss > 0 {
		t.maxLoss = maxLoss
	}
	hist := &History{}
	ev := &eventWriter{w: cfg.Events}
	run := &Run{Model: model, Optimizer: cfg.Optimizer, History: hist, Epochs: cfg.Epochs, LRScale: 1, events: ev}
	t.run = run
	if cfg.Resume != nil {
		if err := cfg.Resume.restore(t, run, cfg.Callbacks); err != nil {
			return nil, err
		}
		*hist = cfg.Resume.meta.History
		run.History = hist
		ev.emit("resume", map[string]any{"epoch": t.epoch + 1, "batch": t.batch, "step": t.step})
	}
	nb := loader.NumBatches()
	if t.batch > nb {
		return nil, fmt.Errorf("train: checkpoint is at batch %d of epoch %d, but an epoch here has %d batches (different data or batch size?)",
			t.batch, t.epoch+1, nb)
	}
	ev.emit("train_begin", map[string]any{"epochs": cfg.Epochs, "batches_per_epoch": nb,
		"batch_size": loader.BatchSize(), "params": model.NumParams(), "optimizer": cfg.Optimizer.Name(), "lr": t.base})
	var saveTo func(string) error
	bar := newProgress(cfg.Progress, cfg.Epochs, nb, loader.BatchSize())
	save := func() error { return saveTo(cfg.CheckpointDir) }
	saveTo = func(dir string) error {
		if dir == "" {
			return nil
		}
		if name := finiteWeights(model); name != "" {
			return &DivergenceError{Epoch: t.epoch + 1, Batch: t.batch, LR: cfg.Optimizer.LR(), What: name}
		}
		if err := writeCheckpoint(dir, t, run, cfg.Callbacks, cfg.Meta); err != nil {
			return err
		}
		ev.emit("checkpoint", map[string]any{"dir": dir, "epoch": t.epoch + 1, "batch": t.batch})
		return nil
	}
	for t.epoch < cfg.Epochs && !run.Stop {
		it := loader.EpochFrom(t.epoch, t.batch)
		bar.startEpoch(t.epoch, t.batch, t.seen)
		start := time.Now()
		for {
			if ctx.Err() != nil {
				it.Close()
				t.epochSeconds += time.Since(start).Seconds()
				bar.clear()
				ie := &InterruptedError{Epoch: t.epoch + 1, Batch: t.batch}
				dir := cfg.CheckpointDir
				if dir == "" {
					dir = cfg.InterruptDir
				}
				if dir != "" {
					if err := saveTo(dir); err != nil {
						return hist, fmt.Errorf("train: interrupted, and the checkpoint failed: %w", err)
					}
					ie.Checkpoint = dir
				}
				ev.emit("interrupted", map[string]any{"epoch": t.epoch + 1, "batch": t.batch, "checkpoint": ie.Checkpoint})
				return hist, ie
			}
			x, y, ok := it.Next()
			if !ok {
				break
			}
			loss, err := t.trainStep(x, y)
			if err != nil {
				it.Close()
				return hist, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) || (maxLoss > 0 && loss > maxLoss) {
				it.Close()
				bar.clear()
				de := &DivergenceError{Epoch: t.epoch + 1, Batch: t.batch + 1, Loss: loss, LR: t.lr(), What: "loss"}
				ev.emit("diverged", map[string]any{"epoch": de.Epoch, "batch": de.Batch, "loss": fmt.Sprint(loss)})
				return hist, de
			}
			t.batch++
			if cfg.AfterBatch != nil {
				cfg.AfterBatch(t.epoch+1, t.batch)
			}
			bar.update(t.batch, t.lossSum/float64(t.seen), t.accuracy(), start, t.seen)
			if cfg.CheckpointEvery > 0 && t.batch%cfg.CheckpointEvery == 0 && t.batch < nb {
				sec := t.epochSeconds
				t.epochSeconds += time.Since(start).Seconds()
				err := save()
				t.epochSeconds = sec
				if err != nil {
					it.Close()
					return hist, err
				}
			}
		}
		it.Close()
		secs := t.epochSeconds + time.Since(start).Seconds()
		if name := finiteWeights(model); name != "" {
			bar.clear()
			return hist, &DivergenceError{Epoch: t.epoch + 1, Batch: t.batch, LR: cfg.Optimizer.LR(), What: name}
		}
		e := results.Epoch{Epoch: t.epoch + 1, LR: cfg.Optimizer.LR(), Seconds: secs}
		if t.seen > 0 {
			e.TrainLoss = t.lossSum / float64(t.seen)
			e.TrainAccuracy = t.accuracy()
		}
		if val != nil && val.N > 0 {
			r, err := Evaluate(model, val, valBatch)
			if err != nil {
				return hist, err
			}
			e.ValLoss, e.ValAccuracy = r.LogLoss, r.Summary.Accuracy
		}
		hist.Epochs = append(hist.Epochs, e)
		hist.SecondsPerEpoch = append(hist.SecondsPerEpoch, secs)
		hist.TrainSeconds += secs
		hist.Images += int64(t.seen)
		bar.endEpoch(e)
		ev.emit("epoch_end", map[string]any{"epoch": e.Epoch, "train_loss": e.TrainLoss, "train_accuracy": e.TrainAccuracy,
			"val_loss": e.ValLoss, "val_accuracy": e.ValAccuracy, "lr": e.LR, "seconds": secs,
			"images_per_second": float64(t.seen) / math.Max(secs, 1e-9)})
		run.Epoch = t.epoch
		for _, c := range cfg.Callbacks {
			if err := c.OnEpochEnd(run, e); err != nil {
				return hist, err
			}
		}
		if run.Stop {
			hist.StoppedEarly = true
		}
		t.epoch++
		t.batch, t.lossSum, t.correct, t.seen, t.outliers, t.epochSeconds = 0, 0, 0, 0, 0, 0
		hist.Steps = t.step
		if err := save(); err != nil {
			return hist, err
		}
	}
	hist.Steps = t.step
	ev.emit("train_end", map[string]any{"epochs": len(hist.Epochs), "train_seconds": hist.TrainSeconds,
		"images_per_second": hist.ImagesPerSecond(), "stopped_early": hist.StoppedEarly})
	return hist, nil
}
