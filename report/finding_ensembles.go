package report

import (
	"fmt"
)

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
