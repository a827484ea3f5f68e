package report

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rakam-ml/rakam/results"
)

// ImagePixels is the number of pixels of one MNIST image (28x28).
const ImagePixels = 28 * 28

// maxClasses bounds the size of a confusion matrix the report draws.
const maxClasses = 100

// Input is everything a report shows. The study fills it; only Rows is
// required. Sections whose field is empty (no Mistakes, nil Schedule, ...)
// are left out of every output, and the analysis says nothing about them.
//
// Row names are the key that ties the sections together: Best, Roles,
// Mistakes[i].Model, Schedule, EarlyStopping, Ensembles[i].Members and the
// keys of SeedReported all name rows by results.Model.Name. [Write] checks
// that every such name exists.
type Input struct {
	// Title heads the report; "rakam: MNIST study" when empty.
	Title string `json:"title"`
	// Date is when the study ran (shown in UTC); omitted when zero.
	Date time.Time `json:"date"`
	// Machine describes where it ran, e.g. "AMD EPYC 7B13, 2 cores, linux/amd64".
	Machine string `json:"machine,omitempty"`
	// Command is the command line that produced the report.
	Command string `json:"command,omitempty"`
	// Seed is the seed every model and split was made from.
	Seed uint64 `json:"seed"`
	// Timing says how the "train s" column was measured (the threads each
	// model trained with, which trained side by side); shown under the
	// comparison table, left out when empty.
	Timing string `json:"timing,omitempty"`
	// Quick is true for a `--quick` run (fewer epochs and trials); the
	// report says so at the top, as its numbers are not the full study's.
	Quick bool `json:"quick"`

	// Rows are the trained and evaluated models, in table order. Each needs
	// a unique non-empty Name. History (per-epoch train/val loss and
	// accuracy) feeds the learning-curve charts and the overfitting
	// analysis; Confusion feeds the heatmap and the noise estimates;
	// Optimizer and Regularization fill table columns ("adam", "sgd",
	// "dropout 0.2", "batch norm", "" for none).
	Rows []results.Model `json:"rows"`

	// Best names the row whose confusion matrix is drawn and whose mistakes
	// are shown. Empty means the row with the highest test accuracy.
	Best string `json:"best"`

	// Roles says which rows play which part in the seed's comparisons
	// (Adam vs SGD, regularisation vs baseline, CNN vs MLP, ...). The
	// report knows no row by name: a role left empty, or naming no row, is
	// skipped by the analysis.
	Roles Roles `json:"roles"`

	// Mistakes are the most confident wrong predictions of a model on the
	// test set, most confident first; the report draws up to 24.
	Mistakes []Mistake `json:"mistakes,omitempty"`

	// Search is the hyperparameter search; nil if none ran.
	Search *Search `json:"search,omitempty"`

	// Schedule compares a learning-rate schedule with a constant rate.
	Schedule *ScheduleRun `json:"schedule,omitempty"`

	// EarlyStopping describes the early-stopping run.
	EarlyStopping *EarlyStop `json:"early_stopping,omitempty"`

	// Ensembles are the voting ensembles, each against its best member.
	Ensembles []Ensemble `json:"ensembles,omitempty"`

	// SeedReported maps a row name to the figure the seed study reported
	// for it, as written there (e.g. "98+ %": the leading number is what a
	// row is held against). The study supplies them; the report has none
	// of its own.
	SeedReported map[string]string `json:"seed_reported,omitempty"`
}

// Roles names the rows the analysis compares with each other. The study
// that fills the Input chooses them; the JSON keys are part of
// results.json.
type Roles struct {
	Scratch      string `json:"scratch"`       // study 1: the from-scratch 784-128-10 network
	BaselineAdam string `json:"baseline_adam"` // 784-128-10 trained with Adam
	BaselineSGD  string `json:"baseline_sgd"`  // the same network trained with plain SGD
	Dropout      string `json:"dropout"`       // the baseline with dropout
	BatchNorm    string `json:"batchnorm"`     // the baseline with batch normalisation
	Advanced     string `json:"advanced"`      // 128 and 64 hidden, batch norm and dropout
	CNN          string `json:"cnn"`           // the convolutional network
	CNNAugmented string `json:"cnn_augmented"` // the CNN trained on augmented data
}

// Mistake is one wrong prediction on a test image.
type Mistake struct {
	// Index is the image's position in the test set.
	Index int `json:"index"`
	// Pixels are the 784 grey levels of the image, row by row, 0 = background
	// (as stored in the MNIST IDX files). In JSON they are base64.
	Pixels []uint8 `json:"pixels"`
	// True is the label, Pred the model's answer, both 0..9.
	True int `json:"true"`
	Pred int `json:"pred"`
	// Confidence is the probability the model gave to Pred, in [0, 1].
	Confidence float64 `json:"confidence"`
	// Model names the row that made the mistake.
	Model string `json:"model"`
}

// Search is a hyperparameter search, scored on the validation split.
type Search struct {
	// Method is "grid" or "random".
	Method string `json:"method"`
	// Base names the model family searched (e.g. "mlp 784-hidden-10"); informative.
	Base string `json:"base,omitempty"`
	// Trials in any order; the report sorts them by validation accuracy.
	Trials []SearchTrial `json:"trials"`
	// WinnerTestAccuracy is the test accuracy of the best trial's
	// configuration, the one time the search touches the test set; 0 if
	// not measured.
	WinnerTestAccuracy float64 `json:"winner_test_accuracy,omitempty"`
}

// SearchTrial is one configuration tried by a search.
type SearchTrial struct {
	// Params maps a hyperparameter to its value: numbers (float64, int and
	// friends) for "lr", "batch", "hidden", "dropout"; strings for
	// categorical ones such as "optimizer". Every trial should carry the
	// same keys; a key missing from a trial is left out of its chart.
	Params      map[string]any `json:"params"`
	ValAccuracy float64        `json:"val_accuracy"`
	Seconds     float64        `json:"seconds"`
}

// ScheduleRun compares a learning-rate schedule against a constant rate on
// the same model.
type ScheduleRun struct {
	// Kind is the schedule, e.g. "cosine" or "one-cycle".
	Kind string `json:"kind"`
	// Scheduled and Constant name the two rows.
	Scheduled string `json:"scheduled"`
	Constant  string `json:"constant"`
	// LR is the learning rate of the scheduled run at each optimiser step
	// (or each epoch when StepsPerEpoch is 0 or 1). If empty, the LR
	// field of the scheduled row's History is used.
	LR []float64 `json:"lr,omitempty"`
	// StepsPerEpoch converts steps to epochs on the chart's x axis.
	StepsPerEpoch int `json:"steps_per_epoch,omitempty"`
}

// EarlyStop describes a run with an early-stopping callback.
type EarlyStop struct {
	// Model names the row.
	Model string `json:"model"`
	// Monitor is the watched quantity, e.g. "val_loss"; Patience the epochs
	// without improvement it tolerated.
	Monitor  string `json:"monitor"`
	Patience int    `json:"patience"`
	// MaxEpochs is the epoch budget; StoppedEpoch the last epoch trained
	// (1-based; equal to MaxEpochs if it never triggered); BestEpoch the
	// epoch with the best monitored value. 0 means unknown: StoppedEpoch
	// then is the row's last epoch, and BestEpoch (with BestValue) the
	// epoch of the best Monitor value in the row's History.
	MaxEpochs    int `json:"max_epochs"`
	StoppedEpoch int `json:"stopped_epoch"`
	BestEpoch    int `json:"best_epoch"`
	// BestValue is the monitored value at BestEpoch.
	BestValue float64 `json:"best_value"`
	// Restored is true if the best epoch's weights were put back.
	Restored bool `json:"restored"`
}

// Ensemble is a voting ensemble evaluated on the test set.
type Ensemble struct {
	Name string `json:"name"`
	// Method is "hard" (majority vote) or "soft" (averaged probabilities).
	Method string `json:"method"`
	// Members name rows.
	Members  []string `json:"members"`
	Accuracy float64  `json:"accuracy"`
	// TestLoss is the log loss of the averaged probabilities; 0 if none
	// (hard voting gives no probabilities).
	TestLoss float64 `json:"test_loss,omitempty"`
	// BestMember and BestMemberAccuracy: the most accurate member. Empty
	// means: computed from Rows.
	BestMember         string  `json:"best_member"`
	BestMemberAccuracy float64 `json:"best_member_accuracy"`
	// TestImages is the number of test images; 0 means the size of the
	// best member's confusion matrix.
	TestImages int `json:"test_images,omitempty"`
}

// ErrNoRows is returned by Write when the Input has no rows.
var ErrNoRows = errors.New("report: input has no rows")

// InputError is a problem with one field of an Input.
type InputError struct {
	Field string // e.g. "Rows[3].Name" or "Mistakes[0].Pixels"
	Msg   string
}

func (e *InputError) Error() string { return "report: input " + e.Field + ": " + e.Msg }

func inputErr(field, format string, args ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// prepared is a validated Input with derived values filled in. The Input
// the caller passed is never modified.
type prepared struct {
	*Input
	byName map[string]*results.Model
	best   *results.Model
}

func (p *prepared) row(name string) *results.Model {
	if name == "" {
		return nil
	}
	return p.byName[name]
}

// prepare validates in and derives what every output needs.
func prepare(in *Input) (*prepared, error) {
	if in == nil || len(in.Rows) == 0 {
		return nil, ErrNoRows
	}
	cp := *in
	cp.Ensembles = append([]Ensemble(nil), in.Ensembles...)
	if cp.Title == "" {
		cp.Title = "rakam: MNIST study"
	}
	p := &prepared{Input: &cp, byName: map[string]*results.Model{}}
	for i := range cp.Rows {
		r := &cp.Rows[i]
		f := fmt.Sprintf("Rows[%d]", i)
		if r.Name == "" {
			return nil, inputErr(f+".Name", "empty")
		}
		if _, dup := p.byName[r.Name]; dup {
			return nil, inputErr(f+".Name", "%q appears twice", r.Name)
		}
		for _, v := range []struct {
			name string
			x    float64
		}{{"TestAccuracy", r.TestAccuracy}, {"MacroPrecision", r.MacroPrecision}, {"MacroRecall", r.MacroRecall}, {"MacroF1", r.MacroF1}} {
			if math.IsNaN(v.x) || v.x < 0 || v.x > 1 {
				return nil, inputErr(f+"."+v.name, "%v of %q outside [0, 1]", v.x, r.Name)
			}
		}
		if math.IsNaN(r.TestLoss) || r.TestLoss < 0 {
			return nil, inputErr(f+".TestLoss", "%v of %q is negative or NaN", r.TestLoss, r.Name)
		}
		if len(r.Confusion) > maxClasses {
			return nil, inputErr(f+".Confusion", "has %d classes; at most %d are supported", len(r.Confusion), maxClasses)
		}
		if len(r.Confusion) > 0 {
			for t, row := range r.Confusion {
				if len(row) != len(r.Confusion) {
					return nil, inputErr(fmt.Sprintf("%s.Confusion[%d]", f, t), "has %d columns; want %d", len(row), len(r.Confusion))
				}
				for _, c := range row {
					if c < 0 {
						return nil, inputErr(fmt.Sprintf("%s.Confusion[%d]", f, t), "negative count %d", c)
					}
				}
			}
		}
		p.byName[r.Name] = r
	}
	if cp.Best == "" {
		best := &cp.Rows[0]
		for i := range cp.Rows {
			if cp.Rows[i].TestAccuracy > best.TestAccuracy {
				best = &cp.Rows[i]
			}
		}
		cp.Best = best.Name
	}
	if p.best = p.row(cp.Best); p.best == nil {
		return nil, inputErr("Best", "names %q, which is not a row", cp.Best)
	}
	for i, m := range cp.Mistakes {
		f := fmt.Sprintf("Mistakes[%d]", i)
		if len(m.Pixels) != ImagePixels {
			return nil, inputErr(f+".Pixels", "has %d values; want %d (28x28)", len(m.Pixels), ImagePixels)
		}
		if m.True < 0 || m.True > 9 || m.Pred < 0 || m.Pred > 9 {
			return nil, inputErr(f, "labels true=%d pred=%d outside 0..9", m.True, m.Pred)
		}
		if math.IsNaN(m.Confidence) || m.Confidence < 0 || m.Confidence > 1 {
			return nil, inputErr(f+".Confidence", "%v outside [0, 1]", m.Confidence)
		}
		if m.Model != "" && p.row(m.Model) == nil {
			return nil, inputErr(f+".Model", "names %q, which is not a row", m.Model)
		}
	}
	if s := cp.Search; s != nil {
		for i, t := range s.Trials {
			if math.IsNaN(t.ValAccuracy) || t.ValAccuracy < 0 || t.ValAccuracy > 1 {
				return nil, inputErr(fmt.Sprintf("Search.Trials[%d].ValAccuracy", i), "%v outside [0, 1]", t.ValAccuracy)
			}
			for k, v := range t.Params {
				if x, ok := numeric(v); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
					return nil, inputErr(fmt.Sprintf("Search.Trials[%d].Params[%q]", i, k), "value %v is not finite", x)
				} else if !ok {
					if _, ok := v.(string); !ok {
						return nil, inputErr(fmt.Sprintf("Search.Trials[%d].Params[%q]", i, k), "value %v of type %T is neither a number nor a string", v, v)
					}
				}
			}
		}
	}
	if s := cp.Schedule; s != nil {
		if p.row(s.Scheduled) == nil {
			return nil, inputErr("Schedule.Scheduled", "names %q, which is not a row", s.Scheduled)
		}
		if p.row(s.Constant) == nil {
			return nil, inputErr("Schedule.Constant", "names %q, which is not a row", s.Constant)
		}
	}
	if cp.EarlyStopping != nil {
		e := *cp.EarlyStopping
		cp.EarlyStopping = &e
		r := p.row(e.Model)
		if r == nil {
			return nil, inputErr("EarlyStopping.Model", "names %q, which is not a row", e.Model)
		}
		fillEarlyStop(cp.EarlyStopping, r)
		e = *cp.EarlyStopping
		if e.StoppedEpoch < 1 || e.BestEpoch < 1 || e.BestEpoch > e.StoppedEpoch || (e.MaxEpochs > 0 && e.StoppedEpoch > e.MaxEpochs) {
			return nil, inputErr("EarlyStopping", "epochs best=%d stopped=%d max=%d; want 1 <= best <= stopped <= max", e.BestEpoch, e.StoppedEpoch, e.MaxEpochs)
		}
	}
	for i := range cp.Ensembles {
		e := &cp.Ensembles[i]
		f := fmt.Sprintf("Ensembles[%d]", i)
		if len(e.Members) == 0 {
			return nil, inputErr(f+".Members", "empty")
		}
		if e.Method != "hard" && e.Method != "soft" {
			return nil, inputErr(f+".Method", "%q; want \"hard\" or \"soft\"", e.Method)
		}
		for _, m := range e.Members {
			if p.row(m) == nil {
				return nil, inputErr(f+".Members", "names %q, which is not a row", m)
			}
		}
		if e.BestMember == "" {
			for _, m := range e.Members {
				if r := p.row(m); e.BestMember == "" || r.TestAccuracy > e.BestMemberAccuracy {
					e.BestMember, e.BestMemberAccuracy = m, r.TestAccuracy
				}
			}
		}
		if e.TestImages == 0 {
			if r := p.row(e.BestMember); r != nil {
				e.TestImages = confusionTotal(r.Confusion)
			}
		}
	}
	keys := make([]string, 0, len(cp.SeedReported))
	for k := range cp.SeedReported {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p.row(k) == nil {
			return nil, inputErr("SeedReported", "has key %q, which is not a row", k)
		}
	}
	if err := checkFinite(p); err != nil {
		return nil, err
	}
	return p, nil
}

// fillEarlyStop fills the epochs the study left at 0 (unknown) from the
// row's history: the last epoch trained, and the epoch with the best
// monitored value (lowest val_loss, or highest for an accuracy).
func fillEarlyStop(e *EarlyStop, r *results.Model) {
	h := r.History
	if e.StoppedEpoch == 0 {
		if len(h) > 0 {
			e.StoppedEpoch = h[len(h)-1].Epoch
		} else {
			e.StoppedEpoch = r.Epochs
		}
	}
	if e.BestEpoch != 0 || len(h) == 0 {
		return
	}
	value := func(ep results.Epoch) float64 { return ep.ValLoss }
	better := func(a, b float64) bool { return a < b }
	switch e.Monitor {
	case "val_accuracy", "val_acc":
		value = func(ep results.Epoch) float64 { return ep.ValAccuracy }
		better = func(a, b float64) bool { return a > b }
	case "loss", "train_loss":
		value = func(ep results.Epoch) float64 { return ep.TrainLoss }
	}
	b := 0
	for i := range h {
		if h[i].Epoch <= e.StoppedEpoch && better(value(h[i]), value(h[b])) {
			b = i
		}
	}
	e.BestEpoch, e.BestValue = h[b].Epoch, value(h[b])
}

// numeric returns v as a float64 if it is a Go number.
func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	}
	return 0, false
}

func confusionTotal(c [][]int) int {
	n := 0
	for _, row := range c {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// epochsRun is the number of epochs a row trained.
func epochsRun(r *results.Model) int {
	if r.Epochs > 0 {
		return r.Epochs
	}
	return len(r.History)
}
