package study

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/train"
)

// Data is MNIST as the study uses it: a seeded train/validation split of the
// 60k training images and the 10k test images, which only score finished
// models and are never used for a choice.
type Data struct {
	Train, Val, Test *mnist.Set
	Dir              string // where the IDX files were found
	SHA256           string // of the four IDX files, recorded in saved models
}

// ErrValSize is wrapped by LoadData's error for a validation split that
// leaves no training images: a usage mistake, not bad data.
var ErrValSize = errors.New("study: validation split too large")

// LoadData locates MNIST (see mnist.Locate), splits nVal validation images
// off the training set with seed and loads the test set.
func LoadData(dir string, nVal int, seed uint64) (*Data, error) {
	dir, err := mnist.Locate(dir)
	if err != nil {
		return nil, err
	}
	full, err := mnist.LoadTrain(dir)
	if err != nil {
		return nil, err
	}
	if nVal < 0 || nVal >= full.N {
		return nil, fmt.Errorf("%w: --val %d: want 0 to %d, so that some of the %d training images are left to train on", ErrValSize, nVal, full.N-1, full.N)
	}
	tr, val, err := full.Split(nVal, seed)
	if err != nil {
		return nil, err
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		return nil, err
	}
	sum, err := mnist.DatasetSHA256(dir)
	if err != nil {
		return nil, err
	}
	return &Data{Train: tr, Val: val, Test: test, Dir: dir, SHA256: sum}, nil
}

// Recipe is everything that decides how one model is trained.
type Recipe struct {
	Name      string  // the row name, e.g. "cnn-augment"
	Base      string  // the zoo entry it starts from
	Spec      nn.Spec // architecture
	Optimizer string  // optim.ByName name
	LR        float64 // base learning rate
	Batch     int
	Epochs    int
	// Schedule is an optim.ParseSchedule description ("cosine", "one-cycle",
	// ...); empty keeps the rate constant.
	Schedule string
	// Augment, when set, distorts training images (never validation or test).
	Augment *data.Augment
	// EarlyStopping, when > 0, is the patience of an early stop on val_loss
	// that restores the best weights.
	EarlyStopping int
	// WeightDecay, when set, overrides the optimiser's default weight decay
	// (0, or 0.004 for adamw); ClipNorm > 0 clips gradients to that global
	// L2 norm. Both are left out of the recipe's JSON when unset, so the
	// recipes of models saved before they existed still match.
	WeightDecay *float64 `json:",omitempty"`
	ClipNorm    float64  `json:",omitempty"`
	Seed        uint64
	// Init names the model this recipe fine-tunes (a row of the study, or a
	// model file), when it starts from trained weights rather than from
	// Seed's initialisation; Train takes those weights from RunOptions.Init.
	// Left out of the JSON when empty, as WeightDecay.
	Init string `json:",omitempty"`
	// Outliers, when > 0, adds that many images that are no digit
	// (Outliers, drawn from Seed) to the training set, labelled
	// nn.NoClass: outlier exposure, so that the model's top probability is
	// low on letters and scrawls. Its flag thresholds are then chosen on
	// the validation split (Trained.Thresholds).
	Outliers int `json:",omitempty"`
	// TrunkMix, when > 0, ends a fine-tuning run (Init) by moving the
	// layers before the Flatten (the convolution trunk, with its batch
	// norm statistics) back towards the weights it started from:
	// TrunkMix·fine-tuned + (1−TrunkMix)·initial, the dense head kept as
	// trained. Interpolating fine-tuned and initial weights keeps what
	// the fine-tuning learnt and much of what it cost on the original
	// task (WiSE-FT: Wortsman et al., "Robust fine-tuning of zero-shot
	// models", CVPR 2022); applied to the trunk only, the head keeps the
	// outlier training that the thresholds rely on.
	TrunkMix float64 `json:",omitempty"`
	// Regularization describes the model's regularisation for tables.
	Regularization string
}

// FromZoo returns the recipe of a zoo entry with its default settings.
func FromZoo(e ZooEntry, seed uint64) Recipe {
	r := Recipe{Name: e.Name, Base: e.Name, Spec: e.Spec, Optimizer: e.Optimizer, LR: e.LR,
		Batch: e.Batch, Epochs: e.Epochs, Schedule: e.Schedule, Seed: seed, Regularization: e.Regularization,
		Init: e.Init, Outliers: e.Outliers, TrunkMix: e.TrunkMix}
	if e.Augment != nil {
		a := *e.Augment
		r.Augment = &a
	}
	return r
}

// Validate reports the first unusable setting.
func (r Recipe) Validate() error {
	if r.Epochs < 1 {
		return fmt.Errorf("study: %s: epochs must be at least 1, got %d", r.Name, r.Epochs)
	}
	if r.Batch < 1 {
		return fmt.Errorf("study: %s: batch size must be at least 1, got %d", r.Name, r.Batch)
	}
	if !(r.LR > 0) {
		return fmt.Errorf("study: %s: learning rate must be positive, got %v", r.Name, r.LR)
	}
	if r.Schedule != "" {
		if _, err := optim.ParseSchedule(r.Schedule); err != nil {
			return fmt.Errorf("study: %s: %w", r.Name, err)
		}
	}
	if r.Augment != nil {
		if err := r.Augment.Validate(); err != nil {
			return fmt.Errorf("study: %s: %w", r.Name, err)
		}
	}
	if !(r.TrunkMix >= 0 && r.TrunkMix <= 1) || (r.TrunkMix > 0 && r.Init == "") {
		return fmt.Errorf("study: %s: trunk mix %v; want 0 (none) or in (0, 1] for a recipe that fine-tunes (Init)", r.Name, r.TrunkMix)
	}
	if r.Outliers < 0 || r.Outliers > maxOutliers {
		return fmt.Errorf("study: %s: %d outlier images; want 0..%d", r.Name, r.Outliers, maxOutliers)
	}
	return r.Spec.Validate()
}

// evalBatch is how many images a validation or test pass runs at once. A
// layer keeps its buffers at the largest batch it has seen, so a smaller
// evaluation batch is less memory held through training (the quick study's
// peak RSS went from 956 to 925 MB at 250 against 1000; most of the rest of
// its cut came from Compare dropping finished models' buffers). The
// predictions are the same at any batch size: each image's arithmetic is
// its own (train.TestEvalBatchSameBits).
const evalBatch = 250

// Trained is a model trained by a recipe, with its test scores.
type Trained struct {
	Recipe  Recipe
	Model   *nn.Sequential
	Result  results.Model
	History *train.History
	Test    *train.Result
	// LRs is the learning rate at every optimiser step (for the schedule plot).
	LRs []float64
	// Thresholds are the not-a-digit and not-sure thresholds chosen for a
	// recipe with Outliers (nil otherwise); saved with the model.
	Thresholds *infer.Thresholds
	// initSHA256 hashes the weights a fine-tuning run started from (saved
	// with the model, so a rerun from other weights trains again).
	initSHA256 string
	// StoppedEpoch and BestEpoch are set when early stopping was on.
	StoppedEpoch, BestEpoch int
	BestValLoss             float64
}

// RunOptions are the parts of a run that do not change its result.
type RunOptions struct {
	Progress io.Writer // progress bar; nil for none
	Events   io.Writer // JSON-lines events; nil for none
	Test     bool      // score on the test set (false during a search)
	// Threads is the run's thread budget: the model's layer passes and
	// products, and the loader's augmentation workers, use at most this
	// many goroutines each (0: the process default, tensor.Threads()).
	// Runs side by side take 1. The result does not depend on it.
	Threads int
	// Checkpoint says where and how often the run is checkpointed, and
	// which checkpoint it resumes from; the zero value writes none.
	Checkpoint Checkpointing
	// Callbacks watch the run after the recipe's own (early stopping,
	// plateau), e.g. to print a line per epoch; they must not steer it.
	Callbacks []train.Callback
	// Init holds the trained weights a recipe with Init set starts from:
	// Train copies its parameters and state (it must have the recipe's
	// Spec) and leaves it unchanged. It is the model Recipe.Init names, so
	// the result depends on it as on the recipe; it is an error for it to
	// be set without Recipe.Init or missing with it.
	Init *nn.Sequential
	// AfterBatch, when set, is called after every trained batch (epoch from
	// 1, batch from 1): tests use it to interrupt or kill a run at an exact
	// batch.
	AfterBatch func(epoch, batch int)
}

// Checkpointing is train.Config's checkpoint settings as a run takes them.
type Checkpointing struct {
	Dir   string // a checkpoint at every epoch's end and every Every batches
	Every int
	// InterruptDir receives a checkpoint when the context is cancelled and
	// Dir is empty, so an interrupted run can always resume.
	InterruptDir string
	// Meta is stored in every checkpoint verbatim (rakam train keeps its
	// flags there, so that --resume rebuilds the same run).
	Meta json.RawMessage
	// Resume continues the run this checkpoint describes; the recipe must
	// be the one that wrote it.
	Resume *train.Checkpoint
}

// RunError is an error of one recipe's run; Err is what went wrong.
type RunError struct {
	Recipe string
	Err    error
}

func (e *RunError) Error() string { return "study: " + e.Recipe + ": " + e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// Train builds the recipe's model from its seed, trains it on d.Train with
// validation on d.Val after every epoch (none when d.Val is empty), and
// (with opts.Test) scores it on d.Test. The same recipe and seed give
// bit-identical weights, whether or not the run was checkpointed and
// resumed. It is the one training pipeline: rakam compare, search and
// train all run it.
func Train(ctx context.Context, r Recipe, d *Data, opts RunOptions) (*Trained, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Trained, error) { return nil, &RunError{Recipe: r.Name, Err: err} }
	model, err := nn.Build(r.Spec, r.Seed)
	if err != nil {
		return fail(err)
	}
	if err := initFrom(model, r, opts.Init); err != nil {
		return fail(err)
	}
	model.SetThreads(opts.Threads)
	var oo []optim.Option
	if r.WeightDecay != nil {
		oo = append(oo, optim.WeightDecay(*r.WeightDecay))
	}
	if r.ClipNorm > 0 {
		oo = append(oo, optim.ClipNorm(r.ClipNorm))
	}
	opt, err := optim.ByName(r.Optimizer, r.LR, oo...)
	if err != nil {
		return fail(err)
	}
	trainSet := d.Train
	if r.Outliers > 0 {
		o, err := Outliers(r.Outliers, r.Seed)
		if err != nil {
			return fail(err)
		}
		if trainSet, err = joinSets(d.Train, o); err != nil {
			return fail(err)
		}
	}
	loader, err := data.NewLoader(trainSet, r.Batch, data.Options{Shuffle: true, Seed: r.Seed, Augment: r.Augment, Workers: opts.Threads})
	if err != nil {
		return fail(err)
	}
	ck := opts.Checkpoint
	cfg := train.Config{Epochs: r.Epochs, Optimizer: opt, Progress: opts.Progress, Events: opts.Events, ValBatch: evalBatch,
		AfterBatch: opts.AfterBatch, CheckpointDir: ck.Dir, CheckpointEvery: ck.Every, InterruptDir: ck.InterruptDir,
		Meta: ck.Meta, Resume: ck.Resume}
	var es *train.EarlyStopping
	if r.EarlyStopping > 0 {
		es = &train.EarlyStopping{Monitor: "val_loss", Patience: r.EarlyStopping, RestoreBestWeights: true}
		cfg.Callbacks = append(cfg.Callbacks, es)
	}
	var sched optim.Schedule = optim.Constant(r.LR)
	if r.Schedule != "" {
		ss, _ := optim.ParseSchedule(r.Schedule)
		sched, err = ss.Build(r.LR, loader.NumBatches(), r.Epochs)
		if err != nil {
			return fail(err)
		}
		cfg.Schedule = sched
		if p := ss.Plateau(); p != nil {
			cfg.Callbacks = append(cfg.Callbacks, &train.ReduceLROnPlateau{Monitor: "val_loss", Plateau: p})
		}
	}
	cfg.Callbacks = append(cfg.Callbacks, opts.Callbacks...)
	var val *mnist.Set
	if d.Val != nil && d.Val.N > 0 {
		val = d.Val
	}
	start := time.Now()
	hist, err := train.Fit(ctx, model, loader, val, cfg)
	if err != nil {
		return fail(err)
	}
	wall := time.Since(start).Seconds()
	t := &Trained{Recipe: r, Model: model, History: hist}
	t.LRs = make([]float64, int(hist.Steps))
	for i := range t.LRs {
		t.LRs[i] = sched.LR(i)
	}
	if es != nil {
		t.StoppedEpoch, t.BestEpoch = len(hist.Epochs), es.BestEpoch()
		if t.BestEpoch >= 1 && t.BestEpoch <= len(hist.Epochs) {
			t.BestValLoss = hist.Epochs[t.BestEpoch-1].ValLoss
		}
	}
	var mixedVal *train.Result // the validation scores after the mix
	if r.TrunkMix > 0 {
		mixTrunk(model, opts.Init, float32(r.TrunkMix))
		if val != nil {
			if mixedVal, err = train.Evaluate(model, val, evalBatch); err != nil {
				return fail(err)
			}
		}
	}
	if r.Outliers > 0 && val != nil {
		th, err := chooseThresholds(model, val)
		if err != nil {
			return fail(err)
		}
		t.Thresholds = th
	}
	row := results.Model{
		Name:           r.Name,
		Model:          describe(r),
		Optimizer:      optimizerLabel(r),
		Regularization: r.Regularization,
		// Only settings that change training: the report names any that
		// differ between two compared rows as a confound.
		Config: map[string]any{"optimizer": r.Optimizer, "lr": r.LR, "batch": r.Batch,
			"epochs": r.Epochs, "schedule": r.Schedule, "augment": r.Augment != nil, "early_stopping": r.EarlyStopping,
			"seed": r.Seed, "wall_seconds": wall},
	}
	if r.Init != "" {
		row.Config["init"] = r.Init
	}
	if r.Outliers > 0 {
		row.Config["outliers"] = r.Outliers
	}
	if r.TrunkMix > 0 {
		row.Config["trunk_mix"] = r.TrunkMix
	}
	if r.Augment != nil && r.Augment.Degrade != nil {
		row.Config["degrade"] = true
	}
	if t.Thresholds != nil {
		row.Extra = map[string]any{"not_digit_below": t.Thresholds.NotDigitBelow, "unsure_below": t.Thresholds.UnsureBelow}
	}
	if mixedVal != nil {
		// The history's validation scores are the fine-tuned model's,
		// before the mix; these are the saved model's.
		if row.Extra == nil {
			row.Extra = map[string]any{}
		}
		row.Extra["val_accuracy_after_mix"] = mixedVal.Summary.Accuracy
		row.Extra["val_loss_after_mix"] = mixedVal.LogLoss
	}
	if opts.Test {
		ev, err := train.Evaluate(model, d.Test, evalBatch)
		if err != nil {
			return fail(err)
		}
		t.Test = ev
	}
	t.Result = NewResult(row, model, hist, t.Test)
	return t, nil
}

// initFrom copies the weights a fine-tuning recipe starts from into model.
func initFrom(model *nn.Sequential, r Recipe, from *nn.Sequential) error {
	switch {
	case r.Init == "" && from == nil:
		return nil
	case r.Init == "":
		return errors.New("initial weights given for a recipe that does not fine-tune (Recipe.Init is empty)")
	case from == nil:
		return fmt.Errorf("the recipe fine-tunes %s but no initial weights were given", r.Init)
	}
	if got, want := string(from.Spec.JSON()), string(r.Spec.JSON()); got != want {
		return fmt.Errorf("cannot fine-tune %s: its architecture %s is not the recipe's %s", r.Init, got, want)
	}
	dst, src := model.Tensors(), from.Tensors()
	if len(dst) != len(src) {
		return fmt.Errorf("cannot fine-tune %s: %d tensors, the recipe's model has %d", r.Init, len(src), len(dst))
	}
	for i, p := range dst {
		if len(p.Value.Data) != len(src[i].Value.Data) {
			return fmt.Errorf("cannot fine-tune %s: tensor %d has %d values, want %d", r.Init, i, len(src[i].Value.Data), len(p.Value.Data))
		}
		copy(p.Value.Data, src[i].Value.Data)
	}
	return nil
}

// mixTrunk sets the weights and state of m's layers before its first
// Flatten to mix·m + (1−mix)·from (same architecture, checked by initFrom).
func mixTrunk(m, from *nn.Sequential, mix float32) {
	flat := len(m.Layers)
	for i, l := range m.Spec.Layers {
		if l.Kind == "Flatten" {
			flat = i
			break
		}
	}
	for i := 0; i < flat; i++ {
		dst := append(m.Layers[i].Params(), m.Layers[i].State()...)
		src := append(from.Layers[i].Params(), from.Layers[i].State()...)
		for k, p := range dst {
			for j, v := range p.Value.Data {
				p.Value.Data[j] = mix*v + (1-mix)*src[k].Value.Data[j]
			}
		}
	}
}

func optimizerLabel(r Recipe) string {
	s := fmt.Sprintf("%s (lr %g)", r.Optimizer, r.LR)
	if r.Schedule != "" {
		s += ", " + r.Schedule
	}
	return s
}

// describe renders an architecture compactly, e.g. "784-128-BN-10".
func describe(r Recipe) string {
	var parts []string
	for _, l := range r.Spec.Layers {
		if a := l.Abbrev(); a != "" { // each kind's label is registered in nn
			parts = append(parts, a)
		}
	}
	in := 1
	for _, d := range r.Spec.Input {
		in *= d
	}
	s := fmt.Sprint(in)
	if len(parts) > 0 {
		s += "-" + strings.Join(parts, "-")
	}
	if r.Augment != nil {
		s += " +augment"
	}
	return s
}

// Evaluate scores an already trained (or loaded) model on the test set.
func Evaluate(name string, model *nn.Sequential, d *Data) (*train.Result, error) {
	ev, err := train.Evaluate(model, d.Test, evalBatch)
	if err != nil {
		return nil, fmt.Errorf("study: %s: %w", name, err)
	}
	return ev, nil
}
