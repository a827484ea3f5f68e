package report

import (
	"fmt"
	"math"
	"sort"

	"github.com/rakam-ml/rakam/results"
)

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
