package report

import (
	"fmt"
)

func optimiserFinding(p *prepared) []string {
	adam, sgd := p.row(p.Roles.BaselineAdam), p.row(p.Roles.BaselineSGD)
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
