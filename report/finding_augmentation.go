package report

import (
	"fmt"
)

func augmentationFinding(p *prepared) string {
	cnn, aug := p.row(p.Roles.CNN), p.row(p.Roles.CNNAugmented)
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
