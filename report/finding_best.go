package report

import (
	"fmt"
)

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
