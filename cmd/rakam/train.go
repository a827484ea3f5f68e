package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

func init() {
	register(&command{name: "train", summary: "train a model of the zoo and save it (safetensors)", run: runTrain})
}

// trainOptions are the flags that decide a training run. They are stored
// in checkpoints (as JSON) so that --resume rebuilds exactly the same run.
type trainOptions struct {
	Model           string  `json:"model"`
	Epochs          int     `json:"epochs"`
	Batch           int     `json:"batch"`
	LR              float64 `json:"lr"`
	Optimizer       string  `json:"optimizer"`
	Schedule        string  `json:"schedule"`
	WeightDecay     float64 `json:"weight_decay"`
	ClipNorm        float64 `json:"clip_norm"`
	Seed            uint64  `json:"seed"`
	Val             int     `json:"val"`
	TrainLimit      int     `json:"train_limit,omitempty"`
	Data            string  `json:"data,omitempty"`
	Out             string  `json:"out"`
	CheckpointDir   string  `json:"checkpoint_dir,omitempty"`
	CheckpointEvery int     `json:"checkpoint_every,omitempty"`
	EarlyStopping   int     `json:"early_stopping,omitempty"`
	Augment         bool    `json:"augment,omitempty"`
}

// runFlags change how a run is shown or how fast it goes, never its result;
// --resume accepts them.
type runFlags struct {
	json, quiet bool
	events      string
	threads     int
	resume      string
}

func runTrain(ctx context.Context, e *env, args []string) error {
	var o trainOptions
	var rf runFlags
	fs := newFlags(e, "train", "--model NAME [flags]  |  --resume DIR", `
Trains a model of the zoo (see 'rakam models') on MNIST: the 60,000 training
images less --val held out for validation after every epoch; the 10,000 test
images score the finished model. Defaults (optimizer, learning rate, batch,
epochs) come from the zoo entry. The model is saved as safetensors with its
architecture, training flags, test metrics and the dataset's SHA-256 in the
metadata, and the results are printed (--json: exactly one JSON object on
stdout; progress always goes to stderr, and only to a terminal unless --events).

With --checkpoint-dir, a checkpoint (weights, batch-norm statistics, optimizer
and random-number states, position, history, flags) is written atomically at
the end of every epoch and every --checkpoint-every batches; 'rakam train
--resume DIR' continues from it and ends with the same weights, bit for bit,
as an uninterrupted run. A run started again with the same flags (a restarted
pod) resumes by itself from the checkpoint in --checkpoint-dir; one with
other flags is refused. Ctrl-C saves a checkpoint (in --checkpoint-dir, or
next to --out as NAME.ckpt) and exits with status 130. A NaN, infinite or
exploding loss stops training with an error naming the epoch and batch, and
no model is saved. See docs/training.md.`)
	fs.StringVar(&o.Model, "model", "", "zoo model `name` (required; see 'rakam models')")
	fs.IntVar(&o.Epochs, "epochs", 0, "passes over the training set (default: the zoo's)")
	fs.IntVar(&o.Batch, "batch", 0, "mini-batch size (default: the zoo's)")
	fs.Float64Var(&o.LR, "lr", 0, "base learning rate (default: the zoo's)")
	fs.StringVar(&o.Optimizer, "optimizer", "", "optimizer: "+strings.Join(optim.Names(), ", ")+" (default: the zoo's)")
	fs.StringVar(&o.Schedule, "schedule", "", "learning-rate schedule `name[:key=value,...]`: "+strings.Join(optim.ScheduleNames(), ", ")+" (default: the model's, e.g. cosine for cnn, else constant)")
	fs.Float64Var(&o.WeightDecay, "weight-decay", -1, "weight decay (default: 0, or 0.004 for adamw)")
	fs.Float64Var(&o.ClipNorm, "clip-norm", 0, "clip gradients to this global L2 norm (0: off)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: weights, split, shuffling, dropout, augmentation")
	fs.IntVar(&o.Val, "val", 5000, "training images held out for validation")
	fs.IntVar(&o.TrainLimit, "train-limit", 0, "train on only the first `N` training images after the split (quick runs)")
	fs.StringVar(&o.Data, "data", "", "directory with the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.StringVar(&o.Out, "out", "", "write the model to this `file` (default: out/models/NAME.safetensors)")
	fs.StringVar(&o.CheckpointDir, "checkpoint-dir", "", "write checkpoints to this `directory`")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", 0, "also checkpoint every `N` batches (with --checkpoint-dir)")
	fs.IntVar(&o.EarlyStopping, "early-stopping", 0, "stop after `PATIENCE` epochs without val_loss improvement and keep the best weights (0: off)")
	fs.BoolVar(&o.Augment, "augment", false, "distort training images (shift, rotation, scale, elastic)")
	fs.StringVar(&rf.resume, "resume", "", "continue the run checkpointed in `DIR` (takes its flags from the checkpoint)")
	fs.BoolVar(&rf.json, "json", false, "print one JSON object on stdout")
	fs.BoolVar(&rf.quiet, "quiet", false, "no progress on stderr")
	fs.StringVar(&rf.events, "events", "", "write JSON-lines training events to this `file` (- for stderr)")
	fs.IntVar(&rf.threads, "threads", 0, "threads for matrix products (0: all CPUs); results do not depend on it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range []string{"epochs", "batch", "lr"} {
		if set[name] {
			if v, _ := strconv.ParseFloat(fs.Lookup(name).Value.String(), 64); !(v > 0) {
				return usagef("--%s must be positive, got %s", name, fs.Lookup(name).Value.String())
			}
		}
	}
	if rf.threads < 0 {
		return usagef("--threads must be ≥ 0, got %d", rf.threads)
	}
	var ck *train.Checkpoint
	if rf.resume != "" {
		var bad []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "resume", "json", "quiet", "events", "threads":
			default:
				bad = append(bad, "--"+f.Name)
			}
		})
		if len(bad) > 0 {
			return usagef("--resume takes the run's flags from its checkpoint; drop %s", strings.Join(bad, ", "))
		}
		var err error
		if ck, err = train.LoadCheckpoint(rf.resume); err != nil {
			return err
		}
		if err := json.Unmarshal(ck.Meta(), &o); err != nil || o.Model == "" {
			return fmt.Errorf("%s: the checkpoint holds no rakam train flags (written by another program?)", ck.Path)
		}
		o.CheckpointDir = filepath.Dir(ck.Path)
	}
	zoo, err := completeOptions(&o)
	if err != nil {
		return err
	}
	if ck == nil && o.CheckpointDir != "" {
		if ck, err = sameRunCheckpoint(o); err != nil {
			return err
		}
	}
	return trainRun(ctx, e, o, rf, zoo, ck)
}

// completeOptions fills zoo defaults and checks every value: a bad one is a
// usage error (exit 2).
func completeOptions(o *trainOptions) (study.ZooEntry, error) {
	if o.Model == "" {
		return study.ZooEntry{}, usagef("--model is required (one of: %s)", strings.Join(study.ZooNames(), ", "))
	}
	z, err := study.ZooByName(o.Model)
	if err != nil {
		return z, usagef("--model %q is not in the zoo (one of: %s)", o.Model, strings.Join(study.ZooNames(), ", "))
	}
	if o.Epochs == 0 {
		o.Epochs = z.Epochs
	}
	if o.Batch == 0 {
		o.Batch = z.Batch
	}
	if o.Optimizer == "" {
		o.Optimizer = z.Optimizer
		if o.LR == 0 {
			o.LR = z.LR
		}
	}
	o.Optimizer = strings.ToLower(o.Optimizer)
	if !slices.Contains(optim.Names(), o.Optimizer) {
		return z, usagef("--optimizer %q is not one of %s", o.Optimizer, strings.Join(optim.Names(), ", "))
	}
	if o.LR == 0 {
		o.LR = optim.DefaultLR(o.Optimizer)
	}
	switch {
	case o.Epochs < 1:
		return z, usagef("--epochs must be at least 1, got %d", o.Epochs)
	case o.Batch < 1:
		return z, usagef("--batch must be at least 1, got %d", o.Batch)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return z, usagef("--lr must be a positive number, got %v", o.LR)
	case o.Val < 0:
		return z, usagef("--val must be ≥ 0, got %d", o.Val)
	case o.TrainLimit < 0:
		return z, usagef("--train-limit must be ≥ 0, got %d", o.TrainLimit)
	case o.CheckpointEvery < 0:
		return z, usagef("--checkpoint-every must be ≥ 0, got %d", o.CheckpointEvery)
	case o.CheckpointEvery > 0 && o.CheckpointDir == "":
		return z, usagef("--checkpoint-every needs --checkpoint-dir")
	case o.EarlyStopping < 0:
		return z, usagef("--early-stopping must be ≥ 0, got %d", o.EarlyStopping)
	case o.ClipNorm < 0 || math.IsNaN(o.ClipNorm):
		return z, usagef("--clip-norm must be ≥ 0, got %v", o.ClipNorm)
	case o.WeightDecay < -1 || math.IsNaN(o.WeightDecay) || (o.WeightDecay < 0 && o.WeightDecay != -1):
		return z, usagef("--weight-decay must be ≥ 0, got %v", o.WeightDecay)
	}
	if _, err := newOptimizer(*o); err != nil {
		return z, usagef("%v", strings.TrimPrefix(err.Error(), "optim: "))
	}
	if o.Schedule == "" {
		o.Schedule = z.Schedule
	}
	if o.Schedule == "" {
		o.Schedule = "constant"
	}
	spec, err := optim.ParseSchedule(o.Schedule)
	if err != nil {
		return z, usagef("--schedule: %v", strings.TrimPrefix(err.Error(), "optim: "))
	}
	o.Schedule = spec.String()
	if spec.Name == "plateau" && o.Val == 0 {
		return z, usagef("--schedule plateau watches val_loss; it needs --val > 0")
	}
	if o.EarlyStopping > 0 && o.Val == 0 {
		return z, usagef("--early-stopping watches val_loss; it needs --val > 0")
	}
	if o.Out == "" {
		o.Out = filepath.Join("out", "models", o.Model+".safetensors")
	}
	return z, nil
}

func newOptimizer(o trainOptions) (optim.Optimizer, error) {
	var opts []optim.Option
	if o.WeightDecay >= 0 {
		opts = append(opts, optim.WeightDecay(o.WeightDecay))
	}
	if o.ClipNorm > 0 {
		opts = append(opts, optim.ClipNorm(o.ClipNorm))
	}
	return optim.ByName(o.Optimizer, o.LR, opts...)
}

// interruptDir is where Ctrl-C saves a checkpoint without --checkpoint-dir.
func interruptDir(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".ckpt"
}

func trainRun(ctx context.Context, e *env, o trainOptions, rf runFlags, z study.ZooEntry, ck *train.Checkpoint) error {
	// Everything that can be checked before the long part is checked now.
	if err := atomicfile.CheckTarget(o.Out); err != nil {
		return fmt.Errorf("--out %s: %w", o.Out, err)
	}
	if o.CheckpointDir != "" {
		if err := atomicfile.CheckWritable(o.CheckpointDir); err != nil {
			return fmt.Errorf("--checkpoint-dir: %w", err)
		}
	}
	var events io.Writer
	switch rf.events {
	case "":
	case "-":
		events = e.stderr
	default:
		f, err := os.OpenFile(rf.events, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--events: %w", err)
		}
		defer f.Close()
		events = f
	}
	sp, err := loadSplits(o.Data, o.Val, o.Seed)
	if err != nil {
		return err
	}
	if o.TrainLimit > 0 && o.TrainLimit < sp.train.N {
		idx := make([]int, o.TrainLimit)
		for i := range idx {
			idx[i] = i
		}
		sp.train = sp.train.Subset(idx)
	}
	// Every value was checked by completeOptions; a schedule that does not
	// fit the run (a warm-up as long as it, say) is a usage error too.
	sspec, _ := optim.ParseSchedule(o.Schedule)
	if _, err := sspec.Build(o.LR, 1, o.Epochs); err != nil {
		return usagef("--schedule: %v", err)
	}
	probe, err := nn.Build(z.Spec, o.Seed)
	if err != nil {
		return err
	}
	log := e.stderr
	if rf.quiet {
		log = io.Discard
	}
	meta, _ := json.Marshal(o)
	// --threads is the run's thread budget (the model's passes and
	// products, the loader's workers), not a process-wide setting.
	ropts := study.RunOptions{Events: events, Test: true, AfterBatch: e.afterBatch, Threads: rf.threads,
		Checkpoint: study.Checkpointing{Dir: o.CheckpointDir, Every: o.CheckpointEvery, InterruptDir: interruptDir(o.Out), Meta: meta, Resume: ck}}
	if !rf.quiet && train.IsTerminal(e.stderr) {
		ropts.Progress = e.stderr
	} else if !rf.quiet {
		ropts.Callbacks = append(ropts.Callbacks, epochPrinter{w: e.stderr, total: o.Epochs})
	}
	fmt.Fprintln(log, sp.describe())
	fmt.Fprintf(log, "%s: %s, %d parameters; %s\n", o.Model, z.Description, probe.NumParams(),
		flagList("optimizer", o.Optimizer, "lr", o.LR, "schedule", o.Schedule, "batch", o.Batch, "epochs", o.Epochs, "seed", o.Seed))
	if ck != nil {
		fmt.Fprintf(log, "resuming from %s at epoch %d, batch %d\n", ck.Path, ck.Epoch(), ck.Batch())
	}
	d := &study.Data{Train: sp.train, Val: sp.val, Test: sp.test, Dir: sp.dir, SHA256: sp.sha}
	t, err := study.Train(ctx, recipe(o, z), d, ropts)
	if err != nil {
		var re *study.RunError
		if errors.As(err, &re) {
			err = re.Err
		}
		// "rakam train: train: ..." says the same thing twice.
		err = errors.New(strings.TrimPrefix(err.Error(), "train: "))
		if ctx.Err() != nil {
			return &exitError{code: exitInterrupted, err: err}
		}
		return err
	}
	row := results.Model{
		Name:           o.Model,
		Model:          z.Description,
		Optimizer:      o.Optimizer,
		Regularization: z.Regularization,
		Config:         optionsMap(o),
		Extra:          map[string]any{"model_file": o.Out, "dataset_sha256": sp.sha, "stopped_early": t.History.StoppedEarly},
	}
	if o.EarlyStopping > 0 {
		row.Extra["best_epoch"] = t.BestEpoch
	}
	res := study.NewResult(row, t.Model, t.History, t.Test)
	if err := saveModel(o.Out, t.Model, o, &res, sp.sha); err != nil {
		return err
	}
	fmt.Fprintf(log, "saved %s\n", o.Out)
	if rf.json {
		return writeJSON(e.stdout, &res)
	}
	printResult(e.stdout, &res)
	return nil
}

// recipe is the study recipe of a run's flags (completed by
// completeOptions): the zoo entry's architecture trained as the flags say.
func recipe(o trainOptions, z study.ZooEntry) study.Recipe {
	r := study.Recipe{Name: o.Model, Base: z.Name, Spec: z.Spec, Optimizer: o.Optimizer, LR: o.LR, Batch: o.Batch,
		Epochs: o.Epochs, Schedule: o.Schedule, EarlyStopping: o.EarlyStopping, ClipNorm: o.ClipNorm, Seed: o.Seed,
		Regularization: z.Regularization}
	if o.WeightDecay >= 0 {
		wd := o.WeightDecay
		r.WeightDecay = &wd
	}
	if o.Augment {
		r.Augment = data.DefaultAugment()
	}
	return r
}

// saveModel writes the model with the metadata every trained model has
// (study.ModelMetadata), its flags as the configuration. Nothing in it
// depends on timing, so the same seed and flags give a byte-identical file.
func saveModel(path string, m *nn.Sequential, o trainOptions, res *results.Model, sum string) error {
	// Where files go does not change the weights; leave it out so a resumed
	// run's model is byte-identical to an uninterrupted one's.
	o.Out, o.CheckpointDir, o.CheckpointEvery, o.Data = "", "", 0, ""
	return nn.Save(path, m, study.ModelMetadata(res, o, sum))
}

func optionsMap(o trainOptions) map[string]any {
	b, _ := json.Marshal(o)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// epochPrinter logs one line per epoch when stderr is not a terminal.
type epochPrinter struct {
	w     io.Writer
	total int
}

func (p epochPrinter) Name() string { return "epoch_printer" }

func (p epochPrinter) OnEpochEnd(r *train.Run, e results.Epoch) error {
	printEpoch(p.w, p.total, e)
	return nil
}

// sameRunCheckpoint returns the checkpoint in o.CheckpointDir when there is
// one, so that a run started again with the same flags (a restarted pod)
// resumes without --resume; nil when the directory holds none. A checkpoint
// of another run (other flags) is an error naming the flags that differ:
// resuming it would train another model, and starting over would overwrite
// it.
func sameRunCheckpoint(o trainOptions) (*train.Checkpoint, error) {
	dir := o.CheckpointDir
	if _, err := os.Stat(filepath.Join(dir, train.CheckpointFile)); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, "checkpoint.rkc")); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	ck, err := train.LoadCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint-dir %s holds a checkpoint that cannot be resumed (%w); remove it or use another directory", dir, err)
	}
	var prev trainOptions
	if err := json.Unmarshal(ck.Meta(), &prev); err != nil || prev.Model == "" {
		return nil, fmt.Errorf("--checkpoint-dir %s holds a checkpoint without rakam train flags (written by another program?); use another directory", dir)
	}
	if diff := runDiff(prev, o); len(diff) > 0 {
		return nil, fmt.Errorf("--checkpoint-dir %s holds a checkpoint of another run (%s); continue that run with 'rakam train --resume %s', or give this run another --checkpoint-dir",
			dir, strings.Join(diff, "; "), dir)
	}
	return ck, nil
}

// runDiff names the flags that decide the result (not where files go)
// and differ between a checkpoint's run a and this run b.
func runDiff(a, b trainOptions) []string {
	clear := func(o *trainOptions) { o.Out, o.CheckpointDir, o.CheckpointEvery, o.Data = "", "", 0, "" }
	clear(&a)
	clear(&b)
	ma, mb := optionsMap(a), optionsMap(b)
	keys := make([]string, 0, len(ma)+len(mb))
	for k := range ma {
		keys = append(keys, k)
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diff []string
	for _, k := range keys {
		if fmt.Sprint(ma[k]) != fmt.Sprint(mb[k]) {
			va, vb := "unset", "unset"
			if v, ok := ma[k]; ok {
				va = fmt.Sprint(v)
			}
			if v, ok := mb[k]; ok {
				vb = fmt.Sprint(v)
			}
			diff = append(diff, fmt.Sprintf("--%s %s there, %s here", strings.ReplaceAll(k, "_", "-"), va, vb))
		}
	}
	return diff
}
