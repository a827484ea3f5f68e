package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rakam-ml/rakam/results"
)

// Finding is one paragraph of the analysis.
type Finding struct {
	// Topic is one of "best", "digits", "optimiser", "regularisation", "overfitting",
	// "cnn", "augmentation", "schedule", "early-stopping", "ensembles",
	// "search", "seed", "speed".
	Topic string `json:"topic"`
	Text  string `json:"text"`
}

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
	add("best", bestFinding(p))
	add("optimiser", optimiserFinding(p)...)
	add("regularisation", regularisationFinding(p)...)
	add("digits", digitsFinding(p))
	add("overfitting", overfittingFinding(p)...)
	add("cnn", cnnFinding(p))
	add("augmentation", augmentationFinding(p))
	add("schedule", scheduleFinding(p))
	add("early-stopping", earlyStoppingFinding(p))
	add("ensembles", ensembleFinding(p)...)
	add("search", searchFinding(p)...)
	add("seed", seedFinding(p))
	add("speed", speedFinding(p))
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

func bestFinding(p *prepared) string {
	b := p.best
	s := fmt.Sprintf("%s was the most accurate model: %s test accuracy, macro F1 %.4f, test loss %.4f", b.Name, pct(b.TestAccuracy), b.MacroF1, b.TestLoss)
	if e := errorsOn(b); e >= 0 {
		s += fmt.Sprintf(", %s errors on %s test images", thousands(e), thousands(confusionTotal(b.Confusion)))
	}
	// Say so when the Best row is not the most accurate one.
	top := &p.Rows[0]
	for i := range p.Rows {
		if p.Rows[i].TestAccuracy > top.TestAccuracy {
			top = &p.Rows[i]
		}
	}
	if top != b {
		return fmt.Sprintf("%s is the model shown in detail below (%s test accuracy); the most accurate row was %s with %s.", b.Name, pct(b.TestAccuracy), top.Name, pct(top.TestAccuracy))
	}
	return s + "."
}

func optimiserFinding(p *prepared) []string {
	adam, sgd := p.row(p.roles.BaselineAdam), p.row(p.roles.BaselineSGD)
	if adam == nil || sgd == nil {
		return nil
	}
	c := compareRows(adam, sgd)
	var s string
	switch {
	case c.clear && c.sign > 0:
		s = fmt.Sprintf("Adam won: %s reached %s against %s's %s with SGD, %s ahead%s.", adam.Name, pct(adam.TestAccuracy), sgd.Name, pct(sgd.TestAccuracy), points(c.diff), errorsClause(adam, sgd))
	case c.clear && c.sign < 0:
		s = fmt.Sprintf("SGD won: %s reached %s against %s's %s with Adam, %s ahead%s.", sgd.Name, pct(sgd.TestAccuracy), adam.Name, pct(adam.TestAccuracy), points(c.diff), errorsClause(sgd, adam))
	case c.sign == 0:
		s = fmt.Sprintf("Adam and SGD tied exactly at %s.", pct(adam.TestAccuracy))
	default:
		lead := "Adam"
		if c.sign < 0 {
			lead = "SGD"
		}
		s = fmt.Sprintf("Adam and SGD ended level: %s (Adam) vs %s (SGD); %s was ahead by %s, %s.", pct(adam.TestAccuracy), pct(sgd.TestAccuracy), lead, points(c.diff), c.noise())
	}
	out := []string{s, confounders("the optimiser", adam, sgd, "optimizer", "lr")}
	if len(adam.History) > 0 && len(sgd.History) > 0 {
		a1, s1 := adam.History[0].ValAccuracy, sgd.History[0].ValAccuracy
		switch {
		case a1 > s1:
			out = append(out, fmt.Sprintf("Adam also started faster: validation accuracy after the first epoch was %s against SGD's %s.", pct(a1), pct(s1)))
		case s1 > a1:
			out = append(out, fmt.Sprintf("SGD started faster: validation accuracy after the first epoch was %s against Adam's %s.", pct(s1), pct(a1)))
		default:
			out = append(out, fmt.Sprintf("Both had %s validation accuracy after the first epoch.", pct(a1)))
		}
	}
	return out
}

// lastGap returns the final train minus validation accuracy of r.
func lastGap(r *results.Model) (float64, bool) {
	if len(r.History) == 0 {
		return 0, false
	}
	e := r.History[len(r.History)-1]
	return e.TrainAccuracy - e.ValAccuracy, true
}

func regularisationFinding(p *prepared) []string {
	base := p.row(p.roles.BaselineAdam)
	if base == nil {
		return nil
	}
	var out []string
	for _, v := range []struct{ what, name string }{
		{"Dropout", p.roles.Dropout},
		{"Batch normalisation", p.roles.BatchNorm},
		{"Batch norm with dropout on two hidden layers", p.roles.Advanced},
	} {
		r := p.row(v.name)
		if r == nil {
			continue
		}
		c := compareRows(r, base)
		var s string
		switch {
		case c.clear && c.sign > 0:
			s = fmt.Sprintf("%s (%s) helped: %s against the baseline's %s, %s better%s.", v.what, r.Name, pct(r.TestAccuracy), pct(base.TestAccuracy), points(c.diff), errorsClause(r, base))
		case c.clear && c.sign < 0:
			s = fmt.Sprintf("%s (%s) hurt: %s against the baseline's %s, %s worse%s.", v.what, r.Name, pct(r.TestAccuracy), pct(base.TestAccuracy), points(c.diff), errorsClause(r, base))
		default:
			s = fmt.Sprintf("%s (%s) made no measurable difference: %s against the baseline's %s, a gap of %s, %s.", v.what, r.Name, pct(r.TestAccuracy), pct(base.TestAccuracy), points(c.diff), c.noise())
		}
		gr, ok1 := lastGap(r)
		gb, ok2 := lastGap(base)
		if ok1 && ok2 {
			s += fmt.Sprintf(" Its final train−validation accuracy gap was %+.2f points against the baseline's %+.2f", 100*gr, 100*gb)
			switch {
			case gb <= 0.001 && gr <= 0.001:
				s += ": neither overfitted by this measure, so there was no gap for it to close."
			case gb <= 0.001:
				s += ": it overfitted where the baseline did not."
			case gr < gb-0.001:
				s += ", so it reduced overfitting."
			case gr > gb+0.001:
				s += ", so it did not reduce overfitting."
			default:
				s += ", about the same."
			}
		}
		if c := confounders("regularisation", r, base, "base"); c != "" {
			s += " " + c
		}
		out = append(out, s)
	}
	return out
}

// overfit describes where a model's validation loss rose while its
// training loss fell.
type overfit struct {
	name              string
	minEpoch, last    int
	minVal, lastVal   float64
	trainAt, trainEnd float64
}

// valLossRise finds the epoch of lowest validation loss and reports an
// overfit if, after it, validation loss rose by more than 3 % (and 0.002)
// while training loss kept falling.
func valLossRise(r *results.Model) (overfit, bool) {
	h := r.History
	if len(h) < 2 {
		return overfit{}, false
	}
	m := 0
	for i := range h {
		if h[i].ValLoss < h[m].ValLoss {
			m = i
		}
	}
	last := len(h) - 1
	rise := h[last].ValLoss - h[m].ValLoss
	if m == last || rise <= math.Max(0.002, 0.03*h[m].ValLoss) || h[last].TrainLoss >= h[m].TrainLoss {
		return overfit{}, false
	}
	return overfit{name: r.Name, minEpoch: h[m].Epoch, last: h[last].Epoch, minVal: h[m].ValLoss, lastVal: h[last].ValLoss,
		trainAt: h[m].TrainLoss, trainEnd: h[last].TrainLoss}, true
}

func overfittingFinding(p *prepared) []string {
	type gap struct {
		r *results.Model
		g float64
	}
	var gaps []gap
	var rises []overfit
	trends := 0 // rows with at least two epochs, where a trend can show
	for i := range p.Rows {
		r := &p.Rows[i]
		if len(r.History) >= 2 {
			trends++
		}
		if g, ok := lastGap(r); ok {
			gaps = append(gaps, gap{r, g})
		}
		if o, ok := valLossRise(r); ok {
			rises = append(rises, o)
		}
	}
	var out []string
	if len(gaps) >= 2 {
		sort.SliceStable(gaps, func(i, j int) bool { return gaps[i].g > gaps[j].g })
		w, n := gaps[0], gaps[len(gaps)-1]
		hw := w.r.History[len(w.r.History)-1]
		s := fmt.Sprintf("The widest gap between training and validation accuracy at the last epoch was %s's: %s train against %s validation (%+.2f points); the smallest was %s's (%+.2f points).",
			w.r.Name, pct(hw.TrainAccuracy), pct(hw.ValAccuracy), 100*w.g, n.r.Name, 100*n.g)
		neg := 0
		for _, g := range gaps {
			if g.g < 0 {
				neg++
			}
		}
		if neg > 0 {
			s += fmt.Sprintf(" %d of %d models ended with validation accuracy above training accuracy: training accuracy is measured on the harder inputs the model trains on (with dropout active, or augmented images) and averaged over an epoch in which it was still improving.", neg, len(gaps))
		}
		out = append(out, s)
	}
	if len(gaps) > 0 {
		if trends == 0 {
			out = append(out, "Each model trained a single epoch, too few for validation loss to turn upwards.")
		} else if len(rises) == 0 {
			out = append(out, "No model's validation loss rose while its training loss kept falling, so none overfitted in that sense within its epochs.")
		} else {
			var parts []string
			for _, o := range rises {
				parts = append(parts, fmt.Sprintf("%s (lowest validation loss %.4f at epoch %d, %.4f by epoch %d, while training loss fell from %.4f to %.4f)",
					o.name, o.minVal, o.minEpoch, o.lastVal, o.last, o.trainAt, o.trainEnd))
			}
			out = append(out, "Validation loss rose while training loss fell, the mark of overfitting, for "+joinAnd(parts)+".")
		}
	}
	return out
}

// mlpNames are the roles of the multilayer perceptrons of the seed's table.
func (r Roles) mlpNames() []string {
	return []string{r.Scratch, r.BaselineAdam, r.BaselineSGD, r.Dropout, r.BatchNorm, r.Advanced}
}

func cnnFinding(p *prepared) string {
	cnn := p.row(p.roles.CNN)
	if cnn == nil {
		return ""
	}
	var mlp *results.Model
	for _, n := range p.roles.mlpNames() {
		if r := p.row(n); r != nil && (mlp == nil || r.TestAccuracy > mlp.TestAccuracy) {
			mlp = r
		}
	}
	if mlp == nil {
		return ""
	}
	c := compareRows(cnn, mlp)
	params := ""
	if cnn.Params > 0 && mlp.Params > 0 {
		params = fmt.Sprintf(" It has %s parameters against %s.", thousands(cnn.Params), thousands(mlp.Params))
	}
	switch {
	case c.clear && c.sign > 0:
		return fmt.Sprintf("The CNN (%s) reached %s, %s above the best multilayer perceptron (%s, %s)%s.%s", cnn.Name, pct(cnn.TestAccuracy), points(c.diff), mlp.Name, pct(mlp.TestAccuracy), errorsClause(cnn, mlp), params)
	case c.clear && c.sign < 0:
		return fmt.Sprintf("The CNN (%s) reached only %s, %s below the best multilayer perceptron (%s, %s)%s.%s", cnn.Name, pct(cnn.TestAccuracy), points(c.diff), mlp.Name, pct(mlp.TestAccuracy), errorsClause(cnn, mlp), params)
	}
	return fmt.Sprintf("The CNN (%s, %s) did not clearly beat the best multilayer perceptron (%s, %s): the difference of %s is %s.%s", cnn.Name, pct(cnn.TestAccuracy), mlp.Name, pct(mlp.TestAccuracy), points(c.diff), c.noise(), params)
}

func augmentationFinding(p *prepared) string {
	cnn, aug := p.row(p.roles.CNN), p.row(p.roles.CNNAugmented)
	if cnn == nil || aug == nil {
		return ""
	}
	c := compareRows(aug, cnn)
	var s string
	switch {
	case c.clear && c.sign > 0:
		s = fmt.Sprintf("Data augmentation raised the CNN from %s to %s (%s, %s better%s).", pct(cnn.TestAccuracy), pct(aug.TestAccuracy), aug.Name, points(c.diff), errorsClause(aug, cnn))
	case c.clear && c.sign < 0:
		s = fmt.Sprintf("Data augmentation lowered the CNN from %s to %s (%s, %s worse%s).", pct(cnn.TestAccuracy), pct(aug.TestAccuracy), aug.Name, points(c.diff), errorsClause(aug, cnn))
	default:
		s = fmt.Sprintf("Data augmentation left the CNN level: %s with it (%s) against %s without, a difference of %s, %s.", pct(aug.TestAccuracy), aug.Name, pct(cnn.TestAccuracy), points(c.diff), c.noise())
	}
	if x := confounders("augmentation", aug, cnn, "augment"); x != "" {
		s += " " + x
	}
	return s
}

func scheduleFinding(p *prepared) string {
	s := p.Schedule
	if s == nil {
		return ""
	}
	sch, con := p.row(s.Scheduled), p.row(s.Constant)
	kind := s.Kind
	if kind == "" {
		kind = "learning-rate"
	}
	c := compareRows(sch, con)
	var out string
	switch {
	case c.clear && c.sign > 0:
		out = fmt.Sprintf("The %s schedule beat the constant rate: %s (%s) against %s (%s), %s better.", kind, pct(sch.TestAccuracy), sch.Name, pct(con.TestAccuracy), con.Name, points(c.diff))
	case c.clear && c.sign < 0:
		out = fmt.Sprintf("The %s schedule did worse than the constant rate: %s (%s) against %s (%s), %s behind.", kind, pct(sch.TestAccuracy), sch.Name, pct(con.TestAccuracy), con.Name, points(c.diff))
	default:
		lead := "the schedule"
		if c.sign < 0 {
			lead = "the constant rate"
		}
		out = fmt.Sprintf("The %s schedule and the constant rate ended level: %s (%s) against %s (%s)", kind, pct(sch.TestAccuracy), sch.Name, pct(con.TestAccuracy), con.Name)
		if c.sign == 0 {
			out += ", exactly equal."
		} else {
			out += fmt.Sprintf("; %s was ahead by %s, %s.", lead, points(c.diff), c.noise())
		}
	}
	if len(sch.History) > 0 && len(con.History) > 0 {
		ls, lc := sch.History[len(sch.History)-1].ValLoss, con.History[len(con.History)-1].ValLoss
		cmp := "lower than"
		switch {
		case ls > lc:
			cmp = "higher than"
		case ls == lc:
			cmp = "equal to"
		}
		out += fmt.Sprintf(" Its final validation loss, %.4f, was %s the constant run's %.4f.", ls, cmp, lc)
	}
	if x := confounders("the schedule", sch, con, "schedule"); x != "" {
		out += " " + x
	}
	return out
}

func earlyStoppingFinding(p *prepared) string {
	e := p.EarlyStopping
	if e == nil {
		return ""
	}
	monitor := e.Monitor
	if monitor == "" {
		monitor = "val_loss"
	}
	var s string
	if e.MaxEpochs > 0 && e.StoppedEpoch >= e.MaxEpochs {
		s = fmt.Sprintf("Early stopping on %s (patience %d) never triggered: %s ran all %d epochs; the best epoch was %d (%s %.4f)", monitor, e.Patience, e.Model, e.MaxEpochs, e.BestEpoch, monitor, e.BestValue)
	} else {
		s = fmt.Sprintf("Early stopping on %s (patience %d) stopped %s after epoch %d", monitor, e.Patience, e.Model, e.StoppedEpoch)
		if e.MaxEpochs > 0 {
			s += fmt.Sprintf(" of %d, saving %d epochs", e.MaxEpochs, e.MaxEpochs-e.StoppedEpoch)
		}
		s += fmt.Sprintf("; the best epoch was %d (%s %.4f)", e.BestEpoch, monitor, e.BestValue)
	}
	switch {
	case e.Restored:
		s += fmt.Sprintf(", and its weights were restored, so the model in the table is the epoch-%d one.", e.BestEpoch)
	case e.BestEpoch == e.StoppedEpoch:
		s += ", the last one trained, so nothing needed restoring."
	default:
		s += fmt.Sprintf(", but its weights were not restored: the model in the table is the epoch-%d one.", e.StoppedEpoch)
	}
	return s
}

func ensembleFinding(p *prepared) []string {
	var out []string
	for _, e := range p.Ensembles {
		c := compare(e.Accuracy, e.TestImages, e.BestMemberAccuracy, e.TestImages)
		head := fmt.Sprintf("%s (%s voting over %d models) reached %s", e.Name, e.Method, len(e.Members), pct(e.Accuracy))
		var s string
		switch {
		case c.sign > 0 && c.clear:
			s = fmt.Sprintf("%s and beat its best member, %s (%s), by %s.", head, e.BestMember, pct(e.BestMemberAccuracy), points(c.diff))
		case c.sign > 0:
			s = fmt.Sprintf("%s and beat its best member, %s (%s), by %s, %s.", head, e.BestMember, pct(e.BestMemberAccuracy), points(c.diff), c.noise())
		case c.sign == 0:
			s = fmt.Sprintf("%s, exactly matching its best member, %s.", head, e.BestMember)
		case c.clear:
			s = fmt.Sprintf("%s and fell short of its best member, %s (%s), by %s.", head, e.BestMember, pct(e.BestMemberAccuracy), points(c.diff))
		default:
			s = fmt.Sprintf("%s and fell short of its best member, %s (%s), by %s, %s.", head, e.BestMember, pct(e.BestMemberAccuracy), points(c.diff), c.noise())
		}
		out = append(out, s)
	}
	return out
}

// paramEffect is how much one hyperparameter moved validation accuracy.
type paramEffect struct {
	name        string
	spread      float64 // best group mean minus worst group mean
	best, worst string  // the values (or value ranges) of those groups
}

// searchEffects groups the trials by each parameter's value (or, for a
// numeric parameter with more than six distinct values, by thirds of its
// sorted values) and measures the spread of the groups' mean validation
// accuracy. Parameters that never vary are left out. Sorted by spread,
// largest first.
func searchEffects(s *Search) []paramEffect {
	keys := map[string]bool{}
	for _, t := range s.Trials {
		for k := range t.Params {
			keys[k] = true
		}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []paramEffect
	for _, k := range names {
		type obs struct {
			label string
			x     float64
			num   bool
			acc   float64
		}
		var o []obs
		distinct := map[string]bool{}
		allNum := true
		for _, t := range s.Trials {
			v, ok := t.Params[k]
			if !ok {
				continue
			}
			x, isNum := numeric(v)
			allNum = allNum && isNum
			label := formatParam(v)
			distinct[label] = true
			o = append(o, obs{label, x, isNum, t.ValAccuracy})
		}
		if len(distinct) < 2 {
			continue
		}
		groups := map[string][]float64{}
		if allNum && len(distinct) > 6 {
			sort.SliceStable(o, func(i, j int) bool { return o[i].x < o[j].x })
			for third := 0; third < 3; third++ {
				lo, hi := third*len(o)/3, (third+1)*len(o)/3
				if lo == hi {
					continue
				}
				label := fmt.Sprintf("%s–%s", formatParam(o[lo].x), formatParam(o[hi-1].x))
				for _, v := range o[lo:hi] {
					groups[label] = append(groups[label], v.acc)
				}
			}
		} else {
			for _, v := range o {
				groups[v.label] = append(groups[v.label], v.acc)
			}
		}
		e := paramEffect{name: k}
		bestM, worstM := math.Inf(-1), math.Inf(1)
		glabels := make([]string, 0, len(groups))
		for g := range groups {
			glabels = append(glabels, g)
		}
		sort.Strings(glabels)
		for _, g := range glabels {
			m := mean(groups[g])
			if m > bestM {
				bestM, e.best = m, g
			}
			if m < worstM {
				worstM, e.worst = m, g
			}
		}
		e.spread = bestM - worstM
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].spread > out[j].spread })
	return out
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func formatParam(v any) string {
	if x, ok := numeric(v); ok {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return fmt.Sprint(v)
}

// formatParams writes params as "k=v, k=v" in key order.
func formatParams(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + formatParam(m[k])
	}
	return strings.Join(parts, ", ")
}

// sortedTrials returns the trials by validation accuracy, best first.
func sortedTrials(s *Search) []SearchTrial {
	t := append([]SearchTrial(nil), s.Trials...)
	sort.SliceStable(t, func(i, j int) bool { return t[i].ValAccuracy > t[j].ValAccuracy })
	return t
}

func searchFinding(p *prepared) (out []string) {
	s := p.Search
	if s == nil || len(s.Trials) == 0 {
		return nil
	}
	trials := sortedTrials(s)
	method := s.Method
	if method != "" {
		method += "-"
	}
	top := trials[0]
	first := fmt.Sprintf("Of %d %ssearch trials, the best reached %s validation accuracy with %s", len(trials), method, pct(top.ValAccuracy), formatParams(top.Params))
	if s.WinnerTestAccuracy > 0 {
		first += fmt.Sprintf(", and %s on the test set", pct(s.WinnerTestAccuracy))
	}
	first += fmt.Sprintf("; the worst reached %s.", pct(trials[len(trials)-1].ValAccuracy))
	out = []string{first}
	eff := searchEffects(s)
	defer func() {
		if len(eff) > 0 && len(trials) < 3*len(eff) {
			out = append(out, fmt.Sprintf("With %d trials for %d parameters these spreads mostly compare single trials, so they hint at, rather than measure, each parameter's effect.", len(trials), len(eff)))
		}
	}()
	switch len(eff) {
	case 0:
	case 1:
		e := eff[0]
		out = append(out, fmt.Sprintf("Only %s varied: mean validation accuracy ranged over %s across its values (best %s, worst %s).", e.name, points(e.spread), e.best, e.worst))
	default:
		e := eff[0]
		s := fmt.Sprintf("%s mattered most: mean validation accuracy ranged over %s across its values (best %s, worst %s)", e.name, points(e.spread), e.best, e.worst)
		var mid []string
		for _, m := range eff[1 : len(eff)-1] {
			mid = append(mid, fmt.Sprintf("%s (%s)", m.name, points(m.spread)))
		}
		if len(mid) > 0 {
			s += "; then " + strings.Join(mid, ", ")
		}
		l := eff[len(eff)-1]
		s += fmt.Sprintf("; %s mattered least (%s).", l.name, points(l.spread))
		out = append(out, s)
	}
	return out
}

// seedNumber parses the leading number of a reported figure ("90+ %" → 90).
func seedNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	x, err := strconv.ParseFloat(s[:end], 64)
	return x, err == nil
}

func seedFinding(p *prepared) string {
	var met, missed []string
	for i := range p.Rows {
		r := &p.Rows[i]
		fig, ok := p.SeedReported[r.Name]
		if !ok {
			continue
		}
		x, ok := seedNumber(fig)
		if !ok {
			continue
		}
		if 100*r.TestAccuracy >= x {
			met = append(met, r.Name)
		} else {
			missed = append(missed, fmt.Sprintf("%s (%s against the seed's %s)", r.Name, pct(r.TestAccuracy), fig))
		}
	}
	quick := ""
	if p.Quick && len(missed) > 0 {
		quick = " This was a quick run with fewer epochs; hold the full run against the seed."
	}
	switch {
	case len(met) == 0 && len(missed) == 0:
		return ""
	case len(missed) == 0:
		return fmt.Sprintf("Every row the seed study reported was met or beaten: %s.", joinAnd(met))
	case len(met) == 0:
		return fmt.Sprintf("No row reached the seed study's figure: %s.%s", joinAnd(missed), quick)
	}
	return fmt.Sprintf("Rows at or above the seed study's figure: %s. Below it: %s.%s", joinAnd(met), joinAnd(missed), quick)
}

func speedFinding(p *prepared) string {
	var fast, slow *results.Model
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.TrainSeconds <= 0 {
			continue
		}
		if fast == nil || r.TrainSeconds < fast.TrainSeconds {
			fast = r
		}
		if slow == nil || r.TrainSeconds > slow.TrainSeconds {
			slow = r
		}
	}
	if fast == nil || fast == slow {
		return ""
	}
	ratio := slow.TrainSeconds / fast.TrainSeconds
	times := fmt.Sprintf("%.0f times as long", ratio)
	if ratio < 10 {
		times = fmt.Sprintf("%.1f times as long", ratio)
	}
	s := fmt.Sprintf("Training took from %s s (%s, %s) to %s s (%s, %s), %s.",
		seconds(fast.TrainSeconds), fast.Name, pct(fast.TestAccuracy), seconds(slow.TrainSeconds), slow.Name, pct(slow.TestAccuracy), times)
	// The shortest training that reached 99 % on the test set.
	var first *results.Model
	for i := range p.Rows {
		r := &p.Rows[i]
		if r.TrainSeconds > 0 && r.TestAccuracy >= 0.99 && (first == nil || r.TrainSeconds < first.TrainSeconds) {
			first = r
		}
	}
	if first != nil {
		s += fmt.Sprintf(" The shortest training to 99 %% was %s's: %s s for %s.", first.Name, seconds(first.TrainSeconds), pct(first.TestAccuracy))
	}
	return s
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// digitsFinding names the digit the best model found hardest (lowest
// recall) and the confusion it made most often, from its confusion matrix.
func digitsFinding(p *prepared) string {
	m := p.best.Confusion
	if len(m) < 2 || confusionTotal(m) == 0 {
		return ""
	}
	hard, hardRecall := -1, 2.0
	pt, pp, pn := -1, -1, 0
	for t := range m {
		n := 0
		for q, c := range m[t] {
			n += c
			if q != t && c > pn {
				pt, pp, pn = t, q, c
			}
		}
		if n == 0 {
			continue
		}
		if r := float64(m[t][t]) / float64(n); r < hardRecall {
			hard, hardRecall = t, r
		}
	}
	if pn == 0 {
		return fmt.Sprintf("%s made no mistakes on the test set.", p.best.Name)
	}
	row := m[hard]
	n := 0
	top, topN := -1, 0
	for q, c := range row {
		n += c
		if q != hard && c > topN {
			top, topN = q, c
		}
	}
	s := fmt.Sprintf("For %s the hardest digit was %d: %s of its %s test images recognised", p.best.Name, hard, pct(hardRecall), thousands(n))
	if topN > 0 {
		s += fmt.Sprintf(", most often mistaken for %d (%s times)", top, thousands(topN))
	}
	s += "."
	if pn > topN {
		s += fmt.Sprintf(" Its most frequent single confusion was %d read as %d (%s times).", pt, pp, thousands(pn))
	}
	return s
}
