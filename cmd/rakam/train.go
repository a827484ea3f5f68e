package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/mnist"
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
	// Init is the model file a fine-tuning run starts from (--init; its
	// architecture replaces --model) and InitSHA256 that file's digest, so
	// that a resumed run is known to start from the same weights. Saved
	// models record the file's base name and digest.
	Init       string `json:"init,omitempty"`
	InitSHA256 string `json:"init_sha256,omitempty"`
	// MixMNIST is the share of the training set made of MNIST training
	// images added to the --data ones (--mix-mnist).
	MixMNIST float64 `json:"mix_mnist,omitempty"`
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
	fs := newFlags(e, "train", "--model NAME [flags]  |  --init MODEL.safetensors --data DIR [flags]  |  --resume DIR", `
Trains a model of the zoo (see 'rakam models') on MNIST: the 60,000 training
images less --val held out for validation after every epoch; the 10,000 test
images score the finished model. Defaults (optimizer, learning rate, batch,
epochs) come from the zoo entry. With --data DIR, the data set in DIR (your
own digits: see 'rakam data import') takes MNIST's place.

--init MODEL.safetensors fine-tunes a saved model instead: its architecture
and weights are the start (so --model is not given), with defaults for
fine-tuning (adam, lr 0.0001, batch 32, 5 epochs; each flag still applies),
and --mix-mnist F makes a share F of the training set MNIST training images
so that the model keeps what it learnt there.

The model is saved as safetensors with its architecture, training flags, test
metrics and the dataset's SHA-256 in the metadata (with --init, the file's
name and SHA-256 too), and the results are printed (--json: exactly one JSON
object on stdout; progress always goes to stderr, and only to a terminal
unless --events).

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
	fs.StringVar(&o.Model, "model", "", "zoo model `name` (required unless --init; see 'rakam models')")
	fs.StringVar(&o.Init, "init", "", "fine-tune the model saved in this `file` (its architecture replaces --model)")
	fs.Float64Var(&o.MixMNIST, "mix-mnist", 0, "make this `share` (0 to <1) of the training set MNIST training images, added to --data's, chosen with --seed")
	fs.IntVar(&o.Epochs, "epochs", 0, "passes over the training set (default: the zoo's)")
	fs.IntVar(&o.Batch, "batch", 0, "mini-batch size (default: the zoo's)")
	fs.Float64Var(&o.LR, "lr", 0, "base learning rate (default: the zoo's)")
	fs.StringVar(&o.Optimizer, "optimizer", "", "optimizer: "+strings.Join(optim.Names(), ", ")+" (default: the zoo's)")
	fs.StringVar(&o.Schedule, "schedule", "", "learning-rate schedule `name[:key=value,...]`: "+strings.Join(optim.ScheduleNames(), ", ")+" (default: the model's, e.g. cosine for cnn, else constant)")
	fs.Float64Var(&o.WeightDecay, "weight-decay", -1, "weight decay (default: 0, or 0.004 for adamw)")
	fs.Float64Var(&o.ClipNorm, "clip-norm", 0, "clip gradients to this global L2 norm (0: off)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: weights, split, shuffling, dropout, augmentation")
	fs.IntVar(&o.Val, "val", 5000, "training images held out for validation (a tenth of them when that is fewer)")
	fs.IntVar(&o.TrainLimit, "train-limit", 0, "train on only the first `N` training images after the split (quick runs)")
	fs.StringVar(&o.Data, "data", "", "directory with the MNIST IDX files or an imported data set (default: $RAKAM_DATA, then the GoMNIST module)")
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
	if set["init"] && set["model"] {
		return usagef("--init and --model: the architecture comes from the --init file; drop --model")
	}
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
		if err := json.Unmarshal(ck.Meta(), &o); err != nil || (o.Model == "" && o.Init == "") {
			return fmt.Errorf("%s: the checkpoint holds no rakam train flags (written by another program?)", ck.Path)
		}
		o.CheckpointDir = filepath.Dir(ck.Path)
	}
	zoo, err := completeOptions(&o)
	if err != nil {
		return err
	}
	tm := trainModel{ZooEntry: zoo, base: zoo.Name}
	if o.Init != "" {
		if err := loadInit(&o, &tm, ck != nil); err != nil {
			return err
		}
	}
	if !set["val"] && ck == nil {
		if err := defaultVal(&o); err != nil {
			return err
		}
	}
	if ck == nil && o.CheckpointDir != "" {
		if ck, err = sameRunCheckpoint(o); err != nil {
			return err
		}
	}
	return trainRun(ctx, e, o, rf, tm, ck)
}

// trainModel is what a run trains: a zoo entry, or (--init) the
// architecture and weights of a saved model.
type trainModel struct {
	study.ZooEntry
	base string         // the recipe's Base: the zoo entry, or the --init file's rakam.name
	init *nn.Sequential // the weights --init starts from
}

// fineTuneDefaults are the defaults of a run with --init in place of a zoo
// entry's: the weights are already trained, so a tenth of Adam's usual rate
// moves them toward the new data without undoing what they learnt, over a
// few epochs of small batches (a set of your own digits is small).
var fineTuneDefaults = study.ZooEntry{Optimizer: "adam", LR: 1e-4, Batch: 32, Epochs: 5}

// runName names a run's model: the zoo entry, or for --init the file's
// name with "-finetuned" (out/models/NAME.safetensors by default).
func runName(o trainOptions) string {
	if o.Init != "" {
		base := filepath.Base(o.Init)
		return strings.TrimSuffix(base, filepath.Ext(base)) + "-finetuned"
	}
	return o.Model
}

// loadInit loads the model --init names into tm, checked against the data
// every command reads (28x28 images, ten digits), and records its digest in
// o; a resumed run must find the same file it started from.
func loadInit(o *trainOptions, tm *trainModel, resuming bool) error {
	b, err := os.ReadFile(o.Init)
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	d := sha256.Sum256(b)
	sum := hex.EncodeToString(d[:])
	if resuming && sum != o.InitSHA256 {
		return fmt.Errorf("the checkpoint's run fine-tunes %s with SHA-256 %s, but that file now has %s; restore it to resume", o.Init, o.InitSHA256, sum)
	}
	o.InitSHA256 = sum
	m, meta, err := nn.Load(o.Init)
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	shapes, err := m.Spec.Shapes()
	if err != nil {
		return fmt.Errorf("--init %s: %w", o.Init, err)
	}
	in, out := 1, 1
	for _, v := range shapes[0] {
		in *= v
	}
	for _, v := range shapes[len(shapes)-1] {
		out *= v
	}
	if in != mnist.Rows*mnist.Cols || out != mnist.NumClasses {
		return fmt.Errorf("--init %s takes %d inputs (shape %v) and gives %d outputs; the data are %dx%d images (%d inputs) of %d digits, so it cannot be fine-tuned on them",
			o.Init, in, shapes[0], out, mnist.Rows, mnist.Cols, mnist.Rows*mnist.Cols, mnist.NumClasses)
	}
	tm.Spec, tm.init, tm.base = m.Spec, m, meta[nn.MetaName]
	from := filepath.Base(o.Init)
	if tm.base != "" {
		from += " (" + tm.base + ")"
	}
	tm.Description = "fine-tuned from " + from
	tm.Regularization = ""
	if zoo, err := study.ZooByName(tm.base); err == nil {
		tm.Regularization = zoo.Regularization
	}
	return nil
}

// defaultVal sets --val when it was not given: 5000 images, or a tenth of
// the training set when that is fewer (an imported set of your own digits).
func defaultVal(o *trainOptions) error {
	dir, err := mnist.Locate(o.Data)
	if err != nil {
		return err
	}
	p, err := mnist.FindFile(dir, mnist.TrainLabelsFile)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	labels, err := mnist.ReadLabels(f, p)
	if err != nil {
		return err
	}
	o.Val = min(o.Val, len(labels)/10)
	return checkValNeeds(*o)
}

// checkValNeeds refuses flags that watch val_loss in a run without
// validation images.
func checkValNeeds(o trainOptions) error {
	if o.Val > 0 {
		return nil
	}
	if spec, err := optim.ParseSchedule(o.Schedule); err == nil && spec.Name == "plateau" {
		return usagef("--schedule plateau watches val_loss; it needs --val > 0")
	}
	if o.EarlyStopping > 0 {
		return usagef("--early-stopping watches val_loss; it needs --val > 0")
	}
	return nil
}

// completeOptions fills zoo defaults and checks every value: a bad one is a
// usage error (exit 2).
func completeOptions(o *trainOptions) (study.ZooEntry, error) {
	var z study.ZooEntry
	switch {
	case o.Init != "":
		z = fineTuneDefaults
		z.Name = runName(*o)
	case o.Model == "":
		return z, usagef("--model (or --init FILE) is required (one of: %s)", strings.Join(study.ZooNames(), ", "))
	default:
		var err error
		if z, err = study.ZooByName(o.Model); err != nil {
			return z, usagef("--model %q is not in the zoo (one of: %s)", o.Model, strings.Join(study.ZooNames(), ", "))
		}
		if z.Init != "" {
			// Its recipe starts from another trained model and trains on
			// outliers and degraded digits: the study's, not these flags.
			return z, usagef("--model %s fine-tunes the study's %s with its own recipe: train it with 'rakam compare --only %s' (or fine-tune a model file of yours with --init FILE)", o.Model, z.Init, o.Model)
		}
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
	case !(o.MixMNIST >= 0 && o.MixMNIST < 1):
		return z, usagef("--mix-mnist must be at least 0 and below 1 (the share of MNIST images in the training set), got %v", o.MixMNIST)
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
	if err := checkValNeeds(*o); err != nil {
		return z, err
	}
	if o.Out == "" {
		o.Out = filepath.Join("out", "models", runName(*o)+".safetensors")
	}
	if o.Init != "" {
		out, _ := realPath(o.Out)
		init, _ := realPath(o.Init)
		if out == init {
			return z, usagef("--out %s is the --init file; write the fine-tuned model to another file", o.Out)
		}
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

func trainRun(ctx context.Context, e *env, o trainOptions, rf runFlags, z trainModel, ck *train.Checkpoint) error {
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
	ropts := study.RunOptions{Events: events, Test: true, AfterBatch: e.afterBatch, Threads: rf.threads, Init: z.init,
		Checkpoint: study.Checkpointing{Dir: o.CheckpointDir, Every: o.CheckpointEvery, InterruptDir: interruptDir(o.Out), Meta: meta, Resume: ck}}
	if !rf.quiet && train.IsTerminal(e.stderr) {
		ropts.Progress = e.stderr
	} else if !rf.quiet {
		ropts.Callbacks = append(ropts.Callbacks, epochPrinter{w: e.stderr, total: o.Epochs})
	}
	if sp.sha == mnist.OriginalDatasetSHA256 {
		fmt.Fprintln(log, sp.describe())
	} else {
		fmt.Fprintf(log, "data set from %s: %d train, %d validation, %d test images\n", sp.dir, sp.train.N, sp.val.N, sp.test.N)
	}
	var mixed *mixedMNIST
	if o.MixMNIST > 0 {
		if mixed, err = mixMNIST(sp, o.MixMNIST, o.Seed); err != nil {
			return err
		}
		sp.train = mixed.train
	}
	if mixed != nil {
		fmt.Fprintf(log, "the training images include %d MNIST training images from %s (--mix-mnist %v)\n", mixed.n, mixed.dir, o.MixMNIST)
	}
	fmt.Fprintf(log, "%s: %s, %d parameters; %s\n", runName(o), z.Description, probe.NumParams(),
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
		Name:           runName(o),
		Model:          z.Description,
		Optimizer:      o.Optimizer,
		Regularization: z.Regularization,
		Config:         optionsMap(o),
		Extra:          map[string]any{"model_file": o.Out, "dataset_sha256": sp.sha, "stopped_early": t.History.StoppedEarly},
	}
	if o.EarlyStopping > 0 {
		row.Extra["best_epoch"] = t.BestEpoch
	}
	if o.Init != "" {
		row.Extra["init"], row.Extra["init_sha256"] = o.Init, o.InitSHA256
	}
	if mixed != nil {
		row.Extra["mnist_images"], row.Extra["mnist_sha256"] = mixed.n, mixed.sha
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
// completeOptions): the zoo entry's (or the --init file's) architecture
// trained as the flags say.
func recipe(o trainOptions, z trainModel) study.Recipe {
	r := study.Recipe{Name: runName(o), Base: z.base, Spec: z.Spec, Optimizer: o.Optimizer, LR: o.LR, Batch: o.Batch,
		Epochs: o.Epochs, Schedule: o.Schedule, EarlyStopping: o.EarlyStopping, ClipNorm: o.ClipNorm, Seed: o.Seed,
		Regularization: z.Regularization}
	if o.WeightDecay >= 0 {
		wd := o.WeightDecay
		r.WeightDecay = &wd
	}
	if o.Augment {
		r.Augment = data.DefaultAugment()
	}
	if o.Init != "" {
		r.Init = filepath.Base(o.Init)
	}
	return r
}

// saveModel writes the model with the metadata every trained model has
// (study.ModelMetadata), its flags as the configuration. Nothing in it
// depends on timing, so the same seed and flags give a byte-identical file.
func saveModel(path string, m *nn.Sequential, o trainOptions, res *results.Model, sum string) error {
	// Where files go does not change the weights; leave it out so a resumed
	// run's model is byte-identical to an uninterrupted one's. The file a
	// fine-tuned model started from is recorded by name and SHA-256.
	o.Out, o.CheckpointDir, o.CheckpointEvery, o.Data = "", "", 0, ""
	if o.Init != "" {
		o.Init = filepath.Base(o.Init)
	}
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
	if err := json.Unmarshal(ck.Meta(), &prev); err != nil || (prev.Model == "" && prev.Init == "") {
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
	// The --init file is compared by its digest, not its path.
	clear := func(o *trainOptions) { o.Out, o.CheckpointDir, o.CheckpointEvery, o.Data, o.Init = "", "", 0, "", "" }
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

// mixStream is the PCG stream that picks the MNIST images of --mix-mnist,
// so they share no random numbers with the split or the shuffling.
const mixStream = 0x6d6978 // "mix"

// mixedMNIST is a training set with MNIST images added (--mix-mnist).
type mixedMNIST struct {
	train    *mnist.Set
	n        int    // MNIST images added
	dir, sha string // where MNIST was found, and its dataset digest
}

// mixMNIST adds MNIST training images to sp.train so that they are a share
// fraction of the result: round(fraction/(1-fraction)·N) of them for N
// images of sp.train, chosen once for the run by a permutation seeded with
// seed (every epoch shuffles the same mixed set). MNIST is found as without
// --data ($RAKAM_DATA, then the GoMNIST module); its test set is never used.
func mixMNIST(sp *splits, fraction float64, seed uint64) (*mixedMNIST, error) {
	dir, err := mnist.Locate("")
	if err != nil {
		return nil, fmt.Errorf("--mix-mnist needs MNIST: %w", err)
	}
	sha, err := mnist.DatasetSHA256(dir)
	if err != nil {
		return nil, err
	}
	if sha == sp.sha {
		return nil, usagef("--mix-mnist adds MNIST images to another data set, but the training data (%s) is MNIST itself; give --data DIR (see 'rakam data import')", sp.dir)
	}
	full, err := mnist.LoadTrain(dir)
	if err != nil {
		return nil, err
	}
	k := int(math.Round(fraction / (1 - fraction) * float64(sp.train.N)))
	if k > full.N {
		return nil, usagef("--mix-mnist %v asks for %d MNIST images beside your %d training images; MNIST has %d (at most --mix-mnist %.4f here)",
			fraction, k, sp.train.N, full.N, float64(full.N)/float64(full.N+sp.train.N))
	}
	idx := mnist.Permutation(full.N, rand.New(rand.NewPCG(seed, mixStream)))[:k]
	slices.Sort(idx)
	add := full.Subset(idx)
	own := sp.train
	mixed := &mnist.Set{Images: append(slices.Clip(own.Images), add.Images...), Labels: append(slices.Clip(own.Labels), add.Labels...),
		N: own.N + add.N, Rows: own.Rows, Cols: own.Cols}
	return &mixedMNIST{train: mixed, n: k, dir: dir, sha: sha}, nil
}
