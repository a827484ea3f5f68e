package report

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// scheduleChart draws the learning rate of the scheduled run, and the
// constant run's rate as a reference when known.
func scheduleChart(p *prepared) (chart, error) {
	s := p.Schedule
	sch, con := p.row(s.Scheduled), p.row(s.Constant)
	var xys plotter.XYs
	xlabel := "epoch"
	if len(s.LR) > 0 {
		per := float64(max(s.StepsPerEpoch, 1))
		for i, lr := range s.LR {
			// Step i happens during epoch i/per (0-based), so the curve spans 0..epochs.
			xys = append(xys, plotter.XY{X: float64(i) / per, Y: lr})
		}
		if s.StepsPerEpoch <= 1 {
			xys = xys[:0]
			for i, lr := range s.LR {
				xys = append(xys, plotter.XY{X: float64(i + 1), Y: lr})
			}
		}
	} else {
		for _, e := range sch.History {
			if e.LR > 0 {
				xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: e.LR})
			}
		}
	}
	if len(xys) == 0 {
		return chart{}, nil
	}
	kind := s.Kind
	if kind == "" {
		kind = "scheduled"
	}
	pl := newPlot(fmt.Sprintf("Learning rate of %s (%s)", sch.Name, kind), xlabel, "learning rate")
	l, err := line(xys, colBlue, false)
	if err != nil {
		return chart{}, err
	}
	pl.Add(l)
	pl.X.Tick.Marker = epochTicks{}
	var constLR float64
	for _, e := range con.History {
		if e.LR > 0 {
			constLR = e.LR
		}
	}
	if constLR > 0 {
		c, err := line(plotter.XYs{{X: xys[0].X, Y: constLR}, {X: xys[len(xys)-1].X, Y: constLR}}, colOrange, true)
		if err != nil {
			return chart{}, err
		}
		pl.Add(c)
	}
	pl.Y.Min = 0
	pl.Y.Max *= 1.08
	svg, err := render([][]*plot.Plot{{pl}}, 7*vg.Inch, 2.8*vg.Inch)
	caption := fmt.Sprintf("The learning rate %s used at each point of training (solid blue)", sch.Name)
	if constLR > 0 {
		caption += fmt.Sprintf(", against the constant rate of %s (dashed orange)", con.Name)
	}
	return chart{ID: "lr-schedule", Section: "schedule", Title: "Learning-rate schedule", Caption: caption + ".", SVG: svg}, err
}
