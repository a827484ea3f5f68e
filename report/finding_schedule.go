package report

import (
	"fmt"
)

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
