package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rakam-ml/rakam/results"
)

// Finding is one paragraph of the analysis.
type Finding struct {
	// Topic is one of the Topic constants, in the order they are listed.
	Topic string `json:"topic"`
	Text  string `json:"text"`
}

// The topics of the analysis, in page order. Each is computed in its own
// file, finding_<topic>.go. They name parts of the comparison (the roles
// of [Roles], the sections of [Input]), never a row.
const (
	TopicBest           = "best"           // the most accurate row
	TopicOptimiser      = "optimiser"      // Adam against SGD
	TopicRegularisation = "regularisation" // dropout, batch norm, both, against the baseline
	TopicDigits         = "digits"         // the best row's hardest digit
	TopicOverfitting    = "overfitting"    // train-validation gaps, rising validation loss
	TopicCNN            = "cnn"            // the CNN against the best multilayer perceptron
	TopicAugmentation   = "augmentation"   // the CNN with and without augmented data
	TopicSchedule       = "schedule"       // a learning-rate schedule against a constant rate
	TopicEarlyStopping  = "early-stopping" // the early-stopping run
	TopicEnsembles      = "ensembles"      // each ensemble against its best member
	TopicSearch         = "search"         // the hyperparameter search
	TopicSeed           = "seed"           // rows against the seed study's figures
	TopicSpeed          = "speed"          // training times
)

// Analyze writes the analysis of in from its numbers. Each sentence is
// picked by comparing measured values (who won, by how much, whether the
// difference is larger than the sampling noise of the test set), so if the
// numbers change the text changes with them. Topics whose rows are missing
// are left out.
func Analyze(in *Input) ([]Finding, error) {
	p, err := prepare(in)
	if err != nil {
		return nil, err
	}
	return analyze(p), nil
}

func analyze(p *prepared) []Finding {
	var out []Finding
	add := func(topic string, sentences ...string) {
		var s []string
		for _, x := range sentences {
			if x != "" {
				s = append(s, x)
			}
		}
		if len(s) > 0 {
			out = append(out, Finding{Topic: topic, Text: strings.Join(s, " ")})
		}
	}
	add(TopicBest, bestFinding(p))
	add(TopicOptimiser, optimiserFinding(p)...)
	add(TopicRegularisation, regularisationFinding(p)...)
	add(TopicDigits, digitsFinding(p))
	add(TopicOverfitting, overfittingFinding(p)...)
	add(TopicCNN, cnnFinding(p))
	add(TopicAugmentation, augmentationFinding(p))
	add(TopicSchedule, scheduleFinding(p))
	add(TopicEarlyStopping, earlyStoppingFinding(p))
	add(TopicEnsembles, ensembleFinding(p)...)
	add(TopicSearch, searchFinding(p)...)
	add(TopicSeed, seedFinding(p))
	add(TopicSpeed, speedFinding(p))
	return out
}

// comparison is the outcome of comparing two test accuracies.
type comparison struct {
	a, b  float64 // the accuracies
	diff  float64 // a - b
	band  float64 // two standard errors of the difference; 0 if unknown
	n     int     // test images (of a), 0 if unknown
	sign  int     // +1 a ahead, -1 b ahead, 0 exactly equal
	clear bool    // |diff| exceeds band (true when band is unknown and diff != 0)
}

// compare compares accuracy a on na test images with b on nb. The band is
// two standard errors of the difference of two binomial proportions, a
// conservative bound for two models scored on the same images.
func compare(a float64, na int, b float64, nb int) comparison {
	c := comparison{a: a, b: b, diff: a - b, n: na}
	if na > 0 && nb > 0 {
		c.band = 2 * math.Sqrt(a*(1-a)/float64(na)+b*(1-b)/float64(nb))
	}
	switch {
	case c.diff > 0:
		c.sign = 1
	case c.diff < 0:
		c.sign = -1
	}
	c.clear = c.sign != 0 && math.Abs(c.diff) > c.band
	return c
}

func compareRows(a, b *results.Model) comparison {
	return compare(a.TestAccuracy, confusionTotal(a.Confusion), b.TestAccuracy, confusionTotal(b.Confusion))
}

// points formats an accuracy difference in percentage points.
func points(d float64) string { return fmt.Sprintf("%.2f points", 100*math.Abs(d)) }

// noise is the clause explaining that a difference is within the noise.
func (c comparison) noise() string {
	if c.n == 0 {
		return "too small to call"
	}
	return fmt.Sprintf("within the ±%.2f-point noise of %s test images", 100*c.band, thousands(c.n))
}

// errorsOn returns the number of test errors of r, or -1 if unknown.
func errorsOn(r *results.Model) int {
	n := confusionTotal(r.Confusion)
	if n == 0 {
		return -1
	}
	right := 0
	for i := range r.Confusion {
		right += r.Confusion[i][i]
	}
	return n - right
}

func errorsClause(a, b *results.Model) string {
	ea, eb := errorsOn(a), errorsOn(b)
	if ea < 0 || eb < 0 {
		return ""
	}
	return fmt.Sprintf(", test errors %s → %s", thousands(eb), thousands(ea))
}

// ignoredConfig are Config keys that differ between runs without making
// them different experiments.
var ignoredConfig = map[string]bool{"wall_seconds": true, "seconds": true, "name": true}

// confounders returns a sentence naming the Config settings, other than
// the expected ones, in which two compared runs differ: a difference in
// accuracy then is not the compared factor's alone. "" when the runs agree
// on everything else or carry no Config.
func confounders(what string, a, b *results.Model, expected ...string) string {
	if a.Config == nil || b.Config == nil {
		return ""
	}
	skip := map[string]bool{}
	for _, k := range expected {
		skip[k] = true
	}
	keys := map[string]bool{}
	for k := range a.Config {
		keys[k] = true
	}
	for k := range b.Config {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	val := func(m map[string]any, k string) string {
		v, ok := m[k]
		if !ok || v == nil || v == "" {
			return "none"
		}
		return formatParam(v)
	}
	var diffs []string
	for _, k := range names {
		if skip[k] || ignoredConfig[k] {
			continue
		}
		if va, vb := val(a.Config, k), val(b.Config, k); va != vb {
			diffs = append(diffs, fmt.Sprintf("%s (%s: %s, %s: %s)", k, a.Name, va, b.Name, vb))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("The two runs also differ in %s, so the difference is not %s's alone.", joinAnd(diffs), what)
}
