package study

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
)

// The hyperparameters a search may vary.
var searchKeys = []string{"lr", "batch", "hidden", "dropout", "optimizer"}

// Dimension is one searched hyperparameter: either a list of values or,
// for random search, a range [Lo, Hi] (sampled log-uniformly for "lr").
type Dimension struct {
	Key    string
	Values []string // the listed values, as written
	Lo, Hi float64  // a range, when Values is empty
}

// Space is a search space.
type Space []Dimension

// DefaultSpace is searched when no --space is given.
const DefaultSpace = "lr=0.0003,0.001,0.003;batch=64,128;hidden=64,128,256;dropout=0,0.2;optimizer=adam,sgd"

// ParseSpace reads "key=v1,v2,...;key=lo..hi;..." with keys among lr,
// batch, hidden, dropout and optimizer. Ranges are for random search.
func ParseSpace(s string) (Space, error) {
	var sp Space
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		key = strings.TrimSpace(key)
		if !ok || strings.TrimSpace(val) == "" {
			return nil, fmt.Errorf("study: search space %q: %q is not key=values", s, part)
		}
		if !contains(searchKeys, key) {
			return nil, fmt.Errorf("study: search space: unknown key %q; want one of %s", key, strings.Join(searchKeys, ", "))
		}
		if seen[key] {
			return nil, fmt.Errorf("study: search space: %q given twice", key)
		}
		seen[key] = true
		d := Dimension{Key: key}
		if lo, hi, isRange := strings.Cut(val, ".."); isRange {
			if key == "optimizer" {
				return nil, fmt.Errorf("study: search space: optimizer takes a list of names, not a range")
			}
			a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
			b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
			if err1 != nil || err2 != nil || !(a <= b) {
				return nil, fmt.Errorf("study: search space: %s range %q must be two numbers lo..hi with lo <= hi", key, val)
			}
			d.Lo, d.Hi = a, b
		} else {
			for _, v := range strings.Split(val, ",") {
				d.Values = append(d.Values, strings.TrimSpace(v))
			}
		}
		if err := d.check(); err != nil {
			return nil, err
		}
		sp = append(sp, d)
	}
	if len(sp) == 0 {
		return nil, fmt.Errorf("study: search space %q is empty", s)
	}
	return sp, nil
}

func (d Dimension) check() error {
	checkNum := func(v float64, src string) error {
		switch d.Key {
		case "lr":
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("study: search space: lr %s must be positive", src)
			}
		case "batch", "hidden":
			if v < 1 || v > 1<<16 || v != math.Trunc(v) {
				return fmt.Errorf("study: search space: %s %s must be a whole number from 1 to 65536", d.Key, src)
			}
		case "dropout":
			if !(v >= 0 && v < 1) {
				return fmt.Errorf("study: search space: dropout %s must be in [0, 1)", src)
			}
		}
		return nil
	}
	if len(d.Values) == 0 {
		if d.Key == "lr" && d.Lo <= 0 {
			return fmt.Errorf("study: search space: lr range must be positive")
		}
		if err := checkNum(d.Lo, fmt.Sprint(d.Lo)); err != nil {
			return err
		}
		return checkNum(d.Hi, fmt.Sprint(d.Hi))
	}
	for _, v := range d.Values {
		if d.Key == "optimizer" {
			if _, err := optim.ByName(v, 0.01); err != nil {
				return fmt.Errorf("study: search space: %w", err)
			}
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("study: search space: %s value %q is not a number", d.Key, v)
		}
		if err := checkNum(f, v); err != nil {
			return err
		}
	}
	return nil
}

// MaxTrials bounds a search, so a mistyped --trials cannot exhaust memory
// planning trials that would take years to train.
const MaxTrials = 10000

// Trial is one configuration of a search with its validation score.
type Trial struct {
	Index       int            `json:"index"`
	Params      map[string]any `json:"params"`
	ValAccuracy float64        `json:"val_accuracy"`
	ValLoss     float64        `json:"val_loss"`
	Seconds     float64        `json:"seconds"`
	Err         string         `json:"error,omitempty"`
	recipe      Recipe
	trained     *Trained
}

// SearchConfig describes a search.
type SearchConfig struct {
	Method  string // "grid" or "random"
	Trials  int    // random: how many; grid: a cap (0 = the whole grid)
	Base    ZooEntry
	Space   Space
	Epochs  int // per trial; 0 uses the base's
	Seed    uint64
	Workers int // trials trained at once; 0 = GOMAXPROCS
	// Ready, when set, gives each worker a channel to wait on before it
	// takes trials (so len(Ready) is the number of workers, and Workers is
	// ignored): the study hands each lane's core to the search as the lane
	// finishes. A search cancelled before a worker's channel is closed
	// returns without it.
	Ready []<-chan struct{}
	// OnTrial is called (from one goroutine at a time) as each trial ends.
	OnTrial func(done, total int, t Trial)
	// OnStart, if set, is called once, when the first worker starts.
	OnStart func()
}

// SearchResult is a finished search: trials sorted best first (validation
// accuracy, then trial index), and the winner, the only model the search
// scores on the test set.
type SearchResult struct {
	Method string
	Trials []Trial
	Winner *Trained
}

// Search trains every trial of cfg on d.Train, scores each on d.Val, and
// tests only the winner on d.Test. Trials run cfg.Workers (or
// len(cfg.Ready)) at a time, each on one core; results do not depend on
// the number of workers or on when they start.
func Search(ctx context.Context, cfg SearchConfig, d *Data) (*SearchResult, error) {
	trials, err := planTrials(cfg)
	if err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(trials))
	if len(cfg.Ready) > 0 {
		workers = len(cfg.Ready)
	}
	// Parallel trials, single-threaded kernels: cores are used by trials
	// instead of inside each matrix product.
	threads := 0
	if workers > 1 {
		threads = 1
	}
	// Each worker takes the next untrained trial until none is left. A
	// failed trial records its error and the others go on; an interrupted
	// search starts no more trials and waits for the running ones.
	var mu sync.Mutex
	done := 0
	var next atomic.Int64
	var started sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if len(cfg.Ready) > 0 {
				select {
				case <-cfg.Ready[w]:
				case <-ctx.Done():
					return
				}
			}
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(trials) {
					return
				}
				if cfg.OnStart != nil {
					started.Do(cfg.OnStart)
				}
				t := &trials[i]
				t.train(ctx, d, threads)
				mu.Lock()
				done++
				if cfg.OnTrial != nil {
					cfg.OnTrial(done, len(trials), *t)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortTrials(trials)
	if trials[0].Err != "" {
		return nil, fmt.Errorf("study: every search trial failed; the first: %s", trials[0].Err)
	}
	win := trials[0].trained
	ev, err := Evaluate(win.Recipe.Name, win.Model, d)
	if err != nil {
		return nil, err
	}
	win.Result.SetTest(ev.Summary, ev.LogLoss)
	win.Test = ev
	for i := range trials {
		if i > 0 {
			trials[i].trained = nil // let the losers' models go
		}
	}
	return &SearchResult{Method: cfg.Method, Trials: trials, Winner: win}, nil
}

// train trains the trial's recipe on threads threads and records its time
// and validation scores, or its error.
func (t *Trial) train(ctx context.Context, d *Data, threads int) {
	start := time.Now()
	tr, err := Train(ctx, t.recipe, d, RunOptions{Threads: threads})
	if tr != nil {
		tr.Model.SetThreads(0) // the winner runs alone afterwards
	}
	t.Seconds = time.Since(start).Seconds()
	if err != nil {
		t.Err = err.Error()
		return
	}
	last := tr.History.Epochs[len(tr.History.Epochs)-1]
	t.ValAccuracy, t.ValLoss, t.trained = last.ValAccuracy, last.ValLoss, tr
}

// planTrials expands the space into trial recipes, deterministically for
// the seed.
func planTrials(cfg SearchConfig) ([]Trial, error) {
	if len(cfg.Space) == 0 {
		return nil, fmt.Errorf("study: empty search space")
	}
	var combos []map[string]string
	switch cfg.Method {
	case "grid":
		points := 1
		for _, d := range cfg.Space {
			points *= max(1, len(d.Values))
			if points > 1_000_000 {
				return nil, fmt.Errorf("study: the grid has over a million points; list fewer values or use --method random")
			}
		}
		combos = []map[string]string{{}}
		for _, d := range cfg.Space {
			if len(d.Values) == 0 {
				return nil, fmt.Errorf("study: grid search needs listed values; %s is a range (use --method random)", d.Key)
			}
			var next []map[string]string
			for _, c := range combos {
				for _, v := range d.Values {
					m := map[string]string{d.Key: v}
					for k, x := range c {
						m[k] = x
					}
					next = append(next, m)
				}
			}
			combos = next
		}
		if len(combos) > MaxTrials && (cfg.Trials <= 0 || cfg.Trials > MaxTrials) {
			return nil, fmt.Errorf("study: the grid has %d points; cap it with --trials (at most %d)", len(combos), MaxTrials)
		}
		if cfg.Trials > 0 && cfg.Trials < len(combos) {
			// Keep an evenly spread, deterministic subset of the grid.
			rng := rand.New(rand.NewPCG(cfg.Seed, 0x97d))
			rng.Shuffle(len(combos), func(i, j int) { combos[i], combos[j] = combos[j], combos[i] })
			combos = combos[:cfg.Trials]
		}
	case "random":
		if cfg.Trials < 1 || cfg.Trials > MaxTrials {
			return nil, fmt.Errorf("study: random search needs --trials from 1 to %d, got %d", MaxTrials, cfg.Trials)
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x7a4d))
		for i := 0; i < cfg.Trials; i++ {
			m := map[string]string{}
			for _, d := range cfg.Space {
				m[d.Key] = sample(rng, d)
			}
			combos = append(combos, m)
		}
	default:
		return nil, fmt.Errorf("study: unknown search method %q; want grid or random", cfg.Method)
	}
	trials := make([]Trial, len(combos))
	for i, c := range combos {
		r, params, err := trialRecipe(cfg, c)
		if err != nil {
			return nil, err
		}
		r.Name = fmt.Sprintf("search-%d", i+1)
		trials[i] = Trial{Index: i + 1, Params: params, recipe: r}
	}
	return trials, nil
}

func sample(rng *rand.Rand, d Dimension) string {
	if len(d.Values) > 0 {
		return d.Values[rng.IntN(len(d.Values))]
	}
	u := rng.Float64()
	var v float64
	if d.Key == "lr" {
		v = math.Exp(math.Log(d.Lo) + float64(u*(math.Log(d.Hi)-math.Log(d.Lo))))
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	v = d.Lo + float64(u*(d.Hi-d.Lo))
	if d.Key == "batch" || d.Key == "hidden" {
		return strconv.Itoa(int(math.Round(v)))
	}
	// Full precision: rounding could push a dropout rate to the excluded 1.
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// trialRecipe turns one point of the space into a recipe: the base's
// settings, with an MLP 784-hidden-ReLU-[dropout]-10 as the architecture.
func trialRecipe(cfg SearchConfig, c map[string]string) (Recipe, map[string]any, error) {
	r := FromZoo(cfg.Base, cfg.Seed)
	if cfg.Epochs > 0 {
		r.Epochs = cfg.Epochs
	}
	hidden, drop := firstDenseUnits(cfg.Base.Spec), firstDropout(cfg.Base.Spec)
	params := map[string]any{}
	for k, v := range c {
		switch k {
		case "optimizer":
			r.Optimizer = v
			params[k] = v
			continue
		}
		f, _ := strconv.ParseFloat(v, 64) // checked by ParseSpace
		switch k {
		case "lr":
			r.LR = f
		case "batch":
			r.Batch = int(f)
		case "hidden":
			hidden = int(f)
		case "dropout":
			drop = f
		}
		params[k] = f
	}
	layers := []nn.LayerSpec{{Kind: "Dense", Units: hidden}, {Kind: "ReLU"}}
	if drop > 0 {
		layers = append(layers, nn.LayerSpec{Kind: "Dropout", Rate: drop})
	}
	layers = append(layers, nn.LayerSpec{Kind: "Dense", Units: 10})
	r.Spec = nn.Spec{Input: []int{784}, Layers: layers}
	r.Regularization = "none"
	if drop > 0 {
		r.Regularization = fmt.Sprintf("dropout %g", drop)
	}
	return r, params, r.Validate()
}

func firstDenseUnits(s nn.Spec) int {
	for _, l := range s.Layers {
		if l.Kind == "Dense" {
			return l.Units
		}
	}
	return 128
}

func firstDropout(s nn.Spec) float64 {
	for _, l := range s.Layers {
		if l.Kind == "Dropout" {
			return l.Rate
		}
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FormatParams renders trial parameters as "key=value" pairs in a fixed
// key order.
func FormatParams(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	return strings.Join(parts, " ")
}
