package report

import (
	"fmt"

	"github.com/rakam-ml/rakam/results"
)

// lastGap returns the final train minus validation accuracy of r.
func lastGap(r *results.Model) (float64, bool) {
	if len(r.History) == 0 {
		return 0, false
	}
	e := r.History[len(r.History)-1]
	return e.TrainAccuracy - e.ValAccuracy, true
}

func regularisationFinding(p *prepared) []string {
	base := p.row(p.Roles.BaselineAdam)
	if base == nil {
		return nil
	}
	var out []string
	for _, v := range []struct{ what, name string }{
		{"Dropout", p.Roles.Dropout},
		{"Batch normalisation", p.Roles.BatchNorm},
		{"Batch norm with dropout on two hidden layers", p.Roles.Advanced},
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
