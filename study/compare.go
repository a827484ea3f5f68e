package study

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rakam-ml/rakam/infer"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/report"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/scratch"
	"github.com/rakam-ml/rakam/train"
)

// CompareConfig describes one run of the whole study.
type CompareConfig struct {
	// Quick trains every model for a fraction of its epochs and runs a
	// smaller search: the same shape of output in about two minutes.
	Quick bool
	// Epochs, when > 0, overrides every model's epoch count.
	Epochs int
	// Out is the directory for models (Out/models) and the report.
	Out string
	// Retrain ignores models already saved in Out/models.
	Retrain bool
	Seed    uint64
	DataDir string
	Val     int // validation images split off the training set
	// Trials of the hyperparameter search (0: 12, or 4 with Quick).
	Trials int
	// Data, when non-nil, is the data the study runs on instead of MNIST
	// loaded from DataDir; Val and DataDir are then ignored. Tests use it
	// to run the whole study on a small slice of MNIST.
	Data *Data

	Log      io.Writer // one line per step; nil for none
	Progress io.Writer // per-model progress bars; nil for none
	Command  string    // recorded in the report
}

// Comparison is a finished study: the report's input, ready for
// report.Write (which `rakam compare` calls), and the output directory
// that holds its models.
type Comparison struct {
	Input *report.Input
	Dir   string
}

// Compare runs the study: study 1 (scratch), the seed's table and the six
// improvements, and returns what the report shows: every row, the roles
// the rows play and the seed's figures (Roles, SeedFigures), the search,
// schedule, early-stopping and ensemble details, and the best row's most
// confident mistakes. It writes no report; report.Write(c.Dir, c.Input)
// does. Models saved by an earlier run in cfg.Out/models are loaded and
// only evaluated, unless cfg.Retrain or their recipe changed.
func Compare(ctx context.Context, cfg CompareConfig) (*Comparison, error) {
	if cfg.Out == "" {
		return nil, errors.New("study: no output directory")
	}
	modelDir := filepath.Join(cfg.Out, "models")
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		return nil, fmt.Errorf("study: output directory: %w", err)
	}
	// Lanes log from their goroutines, and a log line may come while the
	// first lane's progress bar is drawn: one console takes both.
	con := newConsole(cfg.Log, cfg.Progress)
	cfg.Progress = con.bar()
	logf := con.logf
	plan, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	d := cfg.Data
	if d == nil {
		if d, err = LoadData(cfg.DataDir, cfg.Val, cfg.Seed); err != nil {
			return nil, err
		}
	}
	started := time.Now()
	in := &report.Input{
		Title:        "rakam: the MNIST study, re-run in Go",
		Date:         started.UTC(),
		Machine:      machine(),
		Command:      cfg.Command,
		Seed:         cfg.Seed,
		Quick:        cfg.Quick,
		Roles:        Roles(),
		SeedReported: SeedFigures(),
	}
	probs := map[string][]float32{}
	total := len(plan) + 3 // scratch, the plan, the search, the ensembles
	var stepMu sync.Mutex
	step := 0
	next := func(name string) {
		stepMu.Lock()
		defer stepMu.Unlock()
		step++
		logf("[%d/%d] %s (%.0fs elapsed)", step, total, name, time.Since(started).Seconds())
	}

	// Study 1, from scratch.
	next("scratch: study 1, the from-scratch network")
	srow, sprobs, err := compareScratch(ctx, cfg, d, modelDir)
	if err != nil {
		return nil, err
	}
	in.Rows = append(in.Rows, *srow)
	probs[srow.Name] = sprobs

	// The plan's models: the solo ones on every core, then the lanes side
	// by side (splitLanes, trainLanes); the rows follow the plan's order
	// whatever order they finish in.
	first, lanes := splitLanes(plan, runtime.GOMAXPROCS(0))
	in.Timing = timingNote(first, lanes, runtime.GOMAXPROCS(0))
	hooks := laneHooks{
		start: func(r Recipe) { next(r.Name) },
		done: func(t *Trained) {
			logf("      %s: test accuracy %.4f, %d epochs, %.1fs", t.Recipe.Name, t.Result.TestAccuracy, t.Result.Epochs, t.Result.TrainSeconds)
		},
	}
	trained, err := trainLanes(ctx, cfg, [][]Recipe{first}, nil, d, modelDir, hooks)
	if err != nil {
		return nil, err
	}
	if len(lanes) > 1 {
		logf("      %d lanes side by side, %d thread(s) each: %s", len(lanes), laneThreads(runtime.GOMAXPROCS(0), len(lanes)), describeLanes(lanes))
	}
	// Improvement 5, the hyperparameter search (MLP trials of a second or
	// two each), takes each lane's core as the lane finishes: the lanes end
	// seconds apart, and the first to end starts on the trials instead of
	// waiting for the other (its results do not depend on when or on how
	// many cores its trials run).
	ready := make([]chan struct{}, len(lanes))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	readyRO := searchWorkers(ready, runtime.GOMAXPROCS(0))
	laneDone := hooks
	laneDone.finished = func(i int) { close(ready[i]) }
	sctx, cancelSearch := context.WithCancel(ctx)
	defer cancelSearch()
	var sr *SearchResult
	var serr error
	searched := make(chan struct{})
	go func() {
		defer close(searched)
		sr, serr = search(sctx, cfg, d, readyRO, func() { next("hyperparameter search (random)") }, logf)
	}()
	rest, err := trainLanes(ctx, cfg, lanes, trained, d, modelDir, laneDone)
	if err != nil {
		cancelSearch()
		<-searched
		return nil, err
	}
	maps.Copy(trained, rest)
	for _, r := range plan {
		t := trained[r.Name]
		in.Rows = append(in.Rows, t.Result)
		probs[r.Name] = t.Test.Probs
	}

	// Improvement 3 and 4 details for the report.
	if t := trained[rowScheduled]; t != nil {
		in.Schedule = &report.ScheduleRun{Kind: "cosine", Scheduled: rowScheduled, Constant: rowBaselineAdam,
			LR: t.LRs, StepsPerEpoch: stepsPerEpoch(d.Train.N, t.Recipe.Batch)}
	}
	if t := trained[rowEarlyStop]; t != nil {
		in.EarlyStopping = &report.EarlyStop{Model: rowEarlyStop, Monitor: "val_loss", Patience: t.Recipe.EarlyStopping,
			MaxEpochs: t.Recipe.Epochs, StoppedEpoch: t.StoppedEpoch, BestEpoch: t.BestEpoch, BestValue: t.BestValLoss,
			Restored: t.BestEpoch > 0 && t.BestEpoch < t.StoppedEpoch}
	}

	// Improvement 5: the hyperparameter search on the validation split,
	// started with the lanes (above).
	<-searched
	if serr != nil {
		return nil, serr
	}
	win := sr.Winner
	win.Result.Name = rowSearchWinner
	in.Rows = append(in.Rows, win.Result)
	probs[rowSearchWinner] = win.Test.Probs
	rs := &report.Search{Method: "random", Base: "mlp 784-hidden-10", WinnerTestAccuracy: win.Result.TestAccuracy}
	for _, t := range sr.Trials {
		if t.Err == "" {
			rs.Trials = append(rs.Trials, report.SearchTrial{Params: t.Params, ValAccuracy: t.ValAccuracy, Seconds: t.Seconds})
		}
	}
	in.Search = rs

	// Improvement 6: voting ensembles, of the CNNs and of every model.
	next("voting ensembles")
	var all []string
	for _, r := range in.Rows {
		all = append(all, r.Name)
	}
	for _, g := range ensembleGroups {
		if g.members == nil {
			g.members = all
		}
		for _, method := range []string{Hard, Soft} {
			var ps [][]float32
			for _, m := range g.members {
				ps = append(ps, probs[m])
			}
			v, err := Vote(method, ps, d.Test.Labels, train.Classes)
			if err != nil {
				return nil, err
			}
			in.Ensembles = append(in.Ensembles, report.Ensemble{Name: g.name + "-" + method, Method: method,
				Members: g.members, Accuracy: v.Summary.Accuracy, TestLoss: v.LogLoss, TestImages: d.Test.N})
			logf("      %s-%s vote: test accuracy %.4f", g.name, method, v.Summary.Accuracy)
		}
	}

	// The best single model's most confident mistakes.
	best := in.Rows[0]
	for _, r := range in.Rows[1:] {
		if r.TestAccuracy > best.TestAccuracy {
			best = r
		}
	}
	in.Best = best.Name
	in.Mistakes = mistakes(best.Name, probs[best.Name], d, maxMistakes)
	return &Comparison{Input: in, Dir: cfg.Out}, nil
}

func stepsPerEpoch(n, batch int) int { return (n + batch - 1) / batch }

// savedRun is what a saved model's metadata records about its run, so a
// rerun can show the same table without training again.
type savedRun struct {
	Recipe       json.RawMessage `json:"recipe"`
	Result       results.Model   `json:"result"`
	LRs          []float64       `json:"lrs,omitempty"`
	StoppedEpoch int             `json:"stopped_epoch,omitempty"`
	BestEpoch    int             `json:"best_epoch,omitempty"`
	BestValLoss  float64         `json:"best_val_loss,omitempty"`
}

// initFor returns the weights r fine-tunes (nil when it starts from its
// seed): the model of the plan's recipe r.Init, from trained when this run
// has it, else trained or loaded now (and added to trained).
func initFor(ctx context.Context, cfg CompareConfig, r Recipe, d *Data, dir string, plan []Recipe, trained map[string]*Trained) (*nn.Sequential, error) {
	if r.Init == "" {
		return nil, nil
	}
	if t := trained[r.Init]; t != nil {
		return t.Model, nil
	}
	for _, p := range plan {
		if p.Name == r.Init {
			init, err := initFor(ctx, cfg, p, d, dir, plan, trained)
			if err != nil {
				return nil, err
			}
			t, err := trainOrLoad(ctx, cfg, p, d, dir, 0, init)
			if err != nil {
				return nil, err
			}
			trained[p.Name] = t
			return t.Model, nil
		}
	}
	return nil, fmt.Errorf("study: %s fine-tunes %q, which is not a model of the study", r.Name, r.Init)
}

// trainOrLoad trains r, or loads it from dir, with a thread budget of
// threads (0: the default).
func trainOrLoad(ctx context.Context, cfg CompareConfig, r Recipe, d *Data, dir string, threads int, init *nn.Sequential) (*Trained, error) {
	path := filepath.Join(dir, r.Name+".safetensors")
	recipeJSON, _ := json.Marshal(r)
	initSum := ""
	if init != nil {
		initSum = weightsSHA256(init)
	}
	if !cfg.Retrain {
		if t, ok := loadTrained(path, recipeJSON, r, d, threads, initSum); ok {
			return t, nil
		}
	}
	t, err := Train(ctx, r, d, RunOptions{Progress: cfg.Progress, Test: true, Threads: threads, Init: init})
	if err != nil {
		return nil, err
	}
	t.initSHA256 = initSum
	if err := SaveTrained(path, t, d); err != nil {
		return nil, err
	}
	return t, nil
}

func saveModel(path string, m *nn.Sequential, run savedRun, d *Data, extra map[string]string) error {
	runJSON, err := json.Marshal(run)
	if err != nil {
		return err
	}
	meta := ModelMetadata(&run.Result, run.Result.Config, d.SHA256)
	meta[nn.MetaStudyRun] = string(runJSON)
	maps.Copy(meta, extra)
	return nn.Save(path, m, meta)
}

// metaInitSHA256 is the metadata key of the SHA-256 of the weights a
// fine-tuned model started from: a rerun whose starting model changed
// trains it again.
const metaInitSHA256 = "rakam.init_sha256"

// weightsSHA256 hashes a model's tensors (parameters and state, in order).
func weightsSHA256(m *nn.Sequential) string {
	h := sha256.New()
	var b [4]byte
	for _, p := range m.Tensors() {
		for _, v := range p.Value.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadTrained returns the saved model at path if it was trained by the same
// recipe on the same data; it re-scores it on the test set.
func loadTrained(path string, recipeJSON []byte, r Recipe, d *Data, threads int, initSum string) (*Trained, bool) {
	m, meta, err := nn.Load(path)
	if err != nil {
		return nil, false
	}
	m.SetThreads(threads)
	var run savedRun
	if json.Unmarshal([]byte(meta[nn.MetaStudyRun]), &run) != nil || string(run.Recipe) != string(recipeJSON) ||
		meta[nn.MetaDatasetSHA256] != d.SHA256 || meta[metaInitSHA256] != initSum {
		return nil, false
	}
	var th *infer.Thresholds
	if r.Outliers > 0 {
		im, err := infer.New(m.Replica(), meta, nil)
		if err != nil {
			return nil, false
		}
		t := im.Thresholds()
		th = &t
	}
	ev, err := Evaluate(r.Name, m, d)
	if err != nil {
		return nil, false
	}
	res := run.Result
	res.SetTest(ev.Summary, ev.LogLoss)
	return &Trained{Recipe: r, Model: m, Result: res, Test: ev, LRs: run.LRs, StoppedEpoch: run.StoppedEpoch,
		BestEpoch: run.BestEpoch, BestValLoss: run.BestValLoss, Thresholds: th, initSHA256: initSum,
		History: &train.History{Epochs: res.History, SecondsPerEpoch: res.SecondsPerEpoch, TrainSeconds: res.TrainSeconds}}, true
}

// compareScratch trains study 1 (or loads it) and returns its row and test
// probabilities.
func compareScratch(ctx context.Context, cfg CompareConfig, d *Data, dir string) (*results.Model, []float32, error) {
	sc := scratch.DefaultConfig()
	sc.Seed = cfg.Seed
	if cfg.Epochs > 0 {
		sc.Epochs = cfg.Epochs
	} else if cfg.Quick {
		sc.Epochs = 2
	}
	r, err := scratchRecipe(sc)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, "scratch.safetensors")
	recipeJSON, _ := json.Marshal(r)
	if !cfg.Retrain {
		if t, ok := loadTrained(path, recipeJSON, r, d, 0, ""); ok {
			return &t.Result, t.Test.Probs, nil
		}
	}
	t, err := TrainScratch(ctx, sc, d, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := SaveTrained(path, t, d); err != nil {
		return nil, nil, err
	}
	return &t.Result, t.Test.Probs, nil
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				if _, v, ok := strings.Cut(name, ":"); ok {
					cpu = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// SaveTrained writes a trained model and what its run recorded to path.
func SaveTrained(path string, t *Trained, d *Data) error {
	recipeJSON, err := json.Marshal(t.Recipe)
	if err != nil {
		return err
	}
	extra := map[string]string{}
	if t.Thresholds != nil {
		maps.Copy(extra, t.Thresholds.Meta())
	}
	if t.initSHA256 != "" {
		extra[metaInitSHA256] = t.initSHA256
	}
	return saveModel(path, t.Model, savedRun{Recipe: recipeJSON, Result: t.Result, LRs: t.LRs, StoppedEpoch: t.StoppedEpoch,
		BestEpoch: t.BestEpoch, BestValLoss: t.BestValLoss}, d, extra)
}

// searchWorkers gives the search one worker per core, worker w waiting
// for lane w mod len(lanes) to finish: with two lanes on two cores a worker
// each, on four cores two each (the cores each lane's threads held).
func searchWorkers(lanes []chan struct{}, cores int) []<-chan struct{} {
	w := make([]<-chan struct{}, max(cores, 1))
	for i := range w {
		w[i] = lanes[i%len(lanes)]
	}
	return w
}

// search runs the study's random hyperparameter search of the MLP (12
// trials of 3 epochs; 4 of 1 with Quick), each worker starting when its
// ready channel closes; onStart is called as the first trial starts.
func search(ctx context.Context, cfg CompareConfig, d *Data, ready []<-chan struct{}, onStart func(), logf func(string, ...any)) (*SearchResult, error) {
	trials := cfg.Trials
	if trials == 0 {
		trials = 12
		if cfg.Quick {
			trials = 4
		}
	}
	space, _ := ParseSpace(DefaultSpace)
	base, _ := ZooByName(rowBaselineAdam)
	sepochs := 3
	if cfg.Quick {
		sepochs = 1
	}
	return Search(ctx, SearchConfig{Method: "random", Trials: trials, Base: base, Space: space, Epochs: sepochs, Seed: cfg.Seed,
		Ready: ready, OnStart: onStart,
		OnTrial: func(done, total int, t Trial) {
			logf("      trial %d/%d %s: val accuracy %.4f (%.1fs)", done, total, FormatParams(t.Params), t.ValAccuracy, t.Seconds)
		}}, d)
}
