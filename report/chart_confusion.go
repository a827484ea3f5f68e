package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rakam-ml/rakam/results"
)

// confusionGrid is a confusion matrix as a heat-map grid: column c is the
// predicted label, row r counts from the bottom so true label 0 is on top.
// keep selects which cells carry a value; the others are NaN (unpainted).
type confusionGrid struct {
	m    [][]int
	keep func(t, p int) bool
}

func (g confusionGrid) Dims() (int, int) { return len(g.m), len(g.m) }

func (g confusionGrid) X(c int) float64 { return float64(c) }

func (g confusionGrid) Y(r int) float64 { return float64(r) }

func (g confusionGrid) Z(c, r int) float64 {
	t := len(g.m) - 1 - r
	v := g.m[t][c]
	if !g.keep(t, c) || v == 0 {
		return math.NaN()
	}
	return math.Log1p(float64(v))
}

// ramp is a palette from white to c in n steps.
type ramp struct {
	from, to color.RGBA
	n        int
}

func (r ramp) Colors() []color.Color {
	out := make([]color.Color, r.n)
	for i := range out {
		f := float64(i) / float64(r.n-1)
		mix := func(a, b uint8) uint8 { return uint8(float64(a) + f*(float64(b)-float64(a)) + 0.5) }
		out[i] = color.RGBA{mix(r.from.R, r.to.R), mix(r.from.G, r.to.G), mix(r.from.B, r.to.B), 255}
	}
	return out
}

var _ palette.Palette = ramp{}

func confusionChart(r *results.Model) (chart, error) {
	m := r.Confusion
	k := len(m)
	maxDiag, maxOff := 0, 0
	for t := range m {
		for q := range m[t] {
			if t == q {
				maxDiag = max(maxDiag, m[t][q])
			} else {
				maxOff = max(maxOff, m[t][q])
			}
		}
	}
	p := basePlot(fmt.Sprintf("%s: confusion matrix (test set)", r.Name), "predicted label", "true label")
	diag := plotter.NewHeatMap(confusionGrid{m, func(t, q int) bool { return t == q }}, ramp{color.RGBA{198, 219, 239, 255}, color.RGBA{8, 69, 148, 255}, 64})
	diag.Min, diag.Max = 0, math.Log1p(float64(max(maxDiag, 1)))
	off := plotter.NewHeatMap(confusionGrid{m, func(t, q int) bool { return t != q }}, ramp{color.RGBA{254, 230, 206, 255}, color.RGBA{166, 54, 3, 255}, 64})
	off.Min, off.Max = 0, math.Log1p(float64(max(maxOff, 1)))
	p.Add(diag, off)
	var xys plotter.XYs
	var labels []string
	var styles []color.Color
	for t := range m {
		for q := range m[t] {
			v := m[t][q]
			if v == 0 {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(q), Y: float64(k - 1 - t)})
			labels = append(labels, fmt.Sprint(v))
			// White text on the dark end of either ramp.
			dark := (t == q && math.Log1p(float64(v)) > 0.55*diag.Max) || (t != q && math.Log1p(float64(v)) > 0.6*off.Max && maxOff > 3)
			if dark {
				styles = append(styles, color.White)
			} else {
				styles = append(styles, color.RGBA{30, 30, 30, 255})
			}
		}
	}
	if len(xys) > 0 {
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return chart{}, err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].Color = styles[i]
			lab.TextStyle[i].XAlign = draw.XCenter
			lab.TextStyle[i].YAlign = draw.YCenter
			lab.TextStyle[i].Font = sans(8)
		}
		p.Add(lab)
	}
	var xt, yt []plot.Tick
	for i := 0; i < k; i++ {
		xt = append(xt, plot.Tick{Value: float64(i), Label: fmt.Sprint(i)})
		yt = append(yt, plot.Tick{Value: float64(k - 1 - i), Label: fmt.Sprint(i)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	svg, err := render([][]*plot.Plot{{p}}, 5*vg.Inch, 5*vg.Inch)
	errs := errorsOn(r)
	return chart{ID: "confusion", Section: "confusion", Title: "Confusion matrix of " + r.Name,
		Caption: fmt.Sprintf("Rows are the true digit, columns the prediction; blue cells are correct, orange cells are the %s mistakes (colour on a log scale, counts printed).", thousands(errs)),
		SVG:     svg}, err
}
