package report

import (
	"fmt"

	"github.com/rakam-ml/rakam/results"
)

// mlpNames are the roles of the multilayer perceptrons of the seed's table.
func (r Roles) mlpNames() []string {
	return []string{r.Scratch, r.BaselineAdam, r.BaselineSGD, r.Dropout, r.BatchNorm, r.Advanced}
}

func cnnFinding(p *prepared) string {
	cnn := p.row(p.Roles.CNN)
	if cnn == nil {
		return ""
	}
	var mlp *results.Model
	for _, n := range p.Roles.mlpNames() {
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
