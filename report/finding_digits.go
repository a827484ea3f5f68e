package report

import (
	"fmt"
)

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
