package study

// A search spread over processes: each process trains some trials of the
// same plan (RunTrials) and writes one result file per trial into a shared
// folder; MergeSearch reads the folder back and gives the SearchResult the
// one-process Search gives, apart from timing.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
)

// SearchPlan names a search completely: two processes with the same plan
// train the same trials, bit for bit. Every trial file records it, so a
// merge refuses files of different searches.
type SearchPlan struct {
	Method  string `json:"method"`
	Trials  int    `json:"trials"` // --trials as given
	Base    string `json:"base"`   // zoo model name
	Space   string `json:"space"`  // Space.String()
	Epochs  int    `json:"epochs"`
	Seed    uint64 `json:"seed"`
	Val     int    `json:"val"`            // validation images split off
	Dataset string `json:"dataset_sha256"` // Data.SHA256
	Total   int    `json:"total"`          // trials the plan has
}

// Config rebuilds the search configuration of the plan.
func (p SearchPlan) Config() (SearchConfig, error) {
	base, err := ZooByName(p.Base)
	if err != nil {
		return SearchConfig{}, err
	}
	sp, err := ParseSpace(p.Space)
	if err != nil {
		return SearchConfig{}, err
	}
	return SearchConfig{Method: p.Method, Trials: p.Trials, Base: base, Space: sp, Epochs: p.Epochs, Seed: p.Seed}, nil
}

// PlanSearch returns the plan of cfg on data split with val validation
// images and checksum sha; it fails as Search would on a bad config.
func PlanSearch(cfg SearchConfig, val int, sha string) (SearchPlan, error) {
	trials, err := planTrials(cfg)
	if err != nil {
		return SearchPlan{}, err
	}
	return SearchPlan{Method: cfg.Method, Trials: cfg.Trials, Base: cfg.Base.Name, Space: cfg.Space.String(), Epochs: cfg.Epochs,
		Seed: cfg.Seed, Val: val, Dataset: sha, Total: len(trials)}, nil
}

// String writes the space back in ParseSpace's syntax.
func (s Space) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if len(d.Values) > 0 {
			parts[i] = d.Key + "=" + strings.Join(d.Values, ",")
		} else {
			parts[i] = d.Key + "=" + strconv.FormatFloat(d.Lo, 'g', -1, 64) + ".." + strconv.FormatFloat(d.Hi, 'g', -1, 64)
		}
	}
	return strings.Join(parts, ";")
}

// trialRecord is the content of one trial's result file.
type trialRecord struct {
	Plan  SearchPlan `json:"plan"`
	Trial Trial      `json:"trial"`
}

// TrialFile is the name of trial i's result file in a search folder; a
// successful trial's model is saved beside it as TrialModelFile(i).
func TrialFile(i int) string { return fmt.Sprintf("trial-%04d.json", i) }

// TrialModelFile is the name of trial i's model in a search folder.
func TrialModelFile(i int) string { return fmt.Sprintf("trial-%04d.safetensors", i) }

var trialFileRE = regexp.MustCompile(`^trial-([0-9]{4,})\.json$`)

// ShardTrials returns the trial numbers (1-based) of shard i of n (0-based,
// as Kubernetes' JOB_COMPLETION_INDEX): i+1, i+1+n, i+1+2n, ... up to total.
func ShardTrials(i, n, total int) []int {
	var ts []int
	for t := i + 1; t <= total; t += n {
		ts = append(ts, t)
	}
	return ts
}

// RunTrials trains the trials numbered which (1-based, as Trial.Index) of
// plan, one after another on every core, on d (which must be the plan's
// data), and writes each one's result file, and its model when it trained,
// into dir. A failed trial is recorded in its file like in Search, and is
// not an error; an interrupted one writes nothing.
func RunTrials(ctx context.Context, plan SearchPlan, d *Data, which []int, dir string, log io.Writer) ([]Trial, error) {
	cfg, err := plan.Config()
	if err != nil {
		return nil, err
	}
	if d.SHA256 != plan.Dataset {
		return nil, fmt.Errorf("study: search plan is of data %s; the data loaded is %s", short16(plan.Dataset), short16(d.SHA256))
	}
	trials, err := planTrials(cfg)
	if err != nil {
		return nil, err
	}
	if len(trials) != plan.Total {
		return nil, fmt.Errorf("study: the plan says %d trials; this configuration has %d", plan.Total, len(trials))
	}
	for _, i := range which {
		if i < 1 || i > len(trials) {
			return nil, fmt.Errorf("study: trial %d does not exist; the search has trials 1 to %d", i, len(trials))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("study: search folder: %w", err)
	}
	out := []Trial{}
	for _, i := range which {
		t := trials[i-1]
		start := time.Now()
		tr, err := Train(ctx, t.recipe, d, RunOptions{})
		t.Seconds = time.Since(start).Seconds()
		if cerr := ctx.Err(); cerr != nil {
			return out, cerr
		}
		if err != nil {
			t.Err = err.Error()
		} else {
			last := tr.History.Epochs[len(tr.History.Epochs)-1]
			t.ValAccuracy, t.ValLoss = last.ValAccuracy, last.ValLoss
			// The model first: a result file always has its model beside it.
			if err := SaveTrained(filepath.Join(dir, TrialModelFile(i)), tr, d); err != nil {
				return out, err
			}
		}
		b, err := json.MarshalIndent(trialRecord{Plan: plan, Trial: t}, "", "  ")
		if err != nil {
			return out, err
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, TrialFile(i)), append(b, '\n'), 0o644); err != nil {
			return out, fmt.Errorf("study: %w", err)
		}
		if log != nil {
			if t.Err != "" {
				fmt.Fprintf(log, "trial %d/%d %s: failed: %s\n", i, len(trials), FormatParams(t.Params), t.Err)
			} else {
				fmt.Fprintf(log, "trial %d/%d %s: val accuracy %.4f (%.1fs)\n", i, len(trials), FormatParams(t.Params), t.ValAccuracy, t.Seconds)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func short16(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// ReadSearchPlan reads the plan shared by every trial file in dir, and
// checks that the files are of one search and that none is missing.
func ReadSearchPlan(dir string) (SearchPlan, error) {
	plan, _, err := readTrials(dir)
	return plan, err
}

// readTrials reads every trial file of dir, in trial order.
func readTrials(dir string) (SearchPlan, []Trial, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return SearchPlan{}, nil, fmt.Errorf("study: search folder: %w", err)
	}
	var plan SearchPlan
	var first string
	byIndex := map[int]Trial{}
	for _, e := range entries {
		m := trialFileRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return plan, nil, fmt.Errorf("study: %w", err)
		}
		var rec trialRecord
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return plan, nil, fmt.Errorf("study: %s: not a trial result file: %v", path, err)
		}
		n, _ := strconv.Atoi(m[1])
		if rec.Trial.Index != n {
			return plan, nil, fmt.Errorf("study: %s holds trial %d; its name says %d", path, rec.Trial.Index, n)
		}
		if first == "" {
			plan, first = rec.Plan, path
		} else if rec.Plan != plan {
			return plan, nil, fmt.Errorf("study: %s and %s are of different searches (plans %+v and %+v)", first, path, plan, rec.Plan)
		}
		byIndex[n] = rec.Trial
	}
	if first == "" {
		return plan, nil, fmt.Errorf("study: %s holds no trial result files (trial-NNNN.json)", dir)
	}
	var missing []string
	trials := make([]Trial, 0, plan.Total)
	for i := 1; i <= plan.Total; i++ {
		t, ok := byIndex[i]
		if !ok {
			missing = append(missing, strconv.Itoa(i))
			continue
		}
		trials = append(trials, t)
	}
	if len(missing) > 0 {
		return plan, nil, fmt.Errorf("study: %s lacks %d of the search's %d trials: %s", dir, len(missing), plan.Total, strings.Join(missing, ", "))
	}
	if len(byIndex) != plan.Total {
		return plan, nil, fmt.Errorf("study: %s holds %d trial files; the search has %d trials", dir, len(byIndex), plan.Total)
	}
	return plan, trials, nil
}

// MergeSearch reads the trial files of dir, written by RunTrials, checks
// them against their plan (re-planned here), ranks them as Search does and
// scores the winner, loaded from its model file, on d.Test. d must be the
// plan's data (LoadData with the plan's Val and Seed).
func MergeSearch(dir string, d *Data) (*SearchResult, error) {
	plan, trials, err := readTrials(dir)
	if err != nil {
		return nil, err
	}
	if d.SHA256 != plan.Dataset {
		return nil, fmt.Errorf("study: the search in %s ran on data %s; the data loaded is %s", dir, short16(plan.Dataset), short16(d.SHA256))
	}
	cfg, err := plan.Config()
	if err != nil {
		return nil, fmt.Errorf("study: %s: %w", dir, err)
	}
	planned, err := planTrials(cfg)
	if err != nil {
		return nil, fmt.Errorf("study: %s: %w", dir, err)
	}
	if len(planned) != plan.Total {
		return nil, fmt.Errorf("study: %s: the plan says %d trials; it has %d", dir, plan.Total, len(planned))
	}
	for i := range trials {
		want, _ := json.Marshal(planned[i].Params)
		got, _ := json.Marshal(trials[i].Params)
		if string(want) != string(got) {
			return nil, fmt.Errorf("study: %s: trial %d has params %s; the plan's are %s", dir, i+1, got, want)
		}
		trials[i].recipe = planned[i].recipe
	}
	sortTrials(trials)
	if trials[0].Err != "" {
		return nil, fmt.Errorf("study: every search trial failed; the first: %s", trials[0].Err)
	}
	w := trials[0]
	path := filepath.Join(dir, TrialModelFile(w.Index))
	recipeJSON, _ := json.Marshal(w.recipe)
	win, ok := loadTrained(path, recipeJSON, w.recipe, d, 0, "")
	if !ok {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("study: the winner's model: %w", err)
		}
		return nil, fmt.Errorf("study: %s is not the model of trial %d of this search (another recipe or data, or damaged)", path, w.Index)
	}
	return &SearchResult{Method: cfg.Method, Trials: trials, Winner: win}, nil
}

// sortTrials ranks trials best first: successful ones before failed ones,
// then by validation accuracy, then by trial number.
func sortTrials(trials []Trial) {
	sort.SliceStable(trials, func(a, b int) bool {
		ta, tb := trials[a], trials[b]
		if (ta.Err == "") != (tb.Err == "") {
			return ta.Err == ""
		}
		if ta.ValAccuracy != tb.ValAccuracy {
			return ta.ValAccuracy > tb.ValAccuracy
		}
		return ta.Index < tb.Index
	})
}
