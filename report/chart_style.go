package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Colours: a colour-blind-safe set (Okabe & Ito).
var (
	colBlue   = color.RGBA{0, 114, 178, 255}
	colOrange = color.RGBA{230, 159, 0, 255}
	colGreen  = color.RGBA{0, 158, 115, 255}
	colRed    = color.RGBA{213, 94, 0, 255}
	colGrey   = color.RGBA{120, 120, 120, 255}
	colGrid   = color.RGBA{225, 225, 225, 255}
)

// newPlot returns a plot in the report's house style, with grid lines.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := basePlot(title, xlabel, ylabel)
	g := plotter.NewGrid()
	g.Vertical.Color = colGrid
	g.Horizontal.Color = colGrid
	p.Add(g)
	return p
}

// sans is the typeface of every chart: Liberation Sans, which gonum/plot
// embeds for measuring text and which is metric-compatible with Arial, the
// browser's fallback (see fontFallback).
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
}

// basePlot is newPlot without grid lines.
func basePlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(11)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(9.5)
		a.Tick.Label.Font = sans(8.5)
		a.LineStyle.Color = colGrey
		a.Tick.LineStyle.Color = colGrey
		a.Tick.Label.Color = color.RGBA{60, 60, 60, 255}
		a.Label.TextStyle.Color = color.RGBA{40, 40, 40, 255}
		a.Padding = vg.Points(2)
	}
	p.Legend.TextStyle.Font = sans(8.5)
	p.Legend.Top = true
	return p
}

func line(xy plotter.XYs, c color.Color, dashed bool) (*plotter.Line, error) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return l, nil
}

// vline is a vertical marker at x spanning [y0, y1].
func vline(x, y0, y1 float64, c color.Color) (*plotter.Line, error) {
	l, err := line(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}}, c, true)
	if err != nil {
		return nil, err
	}
	l.Width = vg.Points(1)
	return l, nil
}

// yRange returns the y range the plot's data spans so far.
func yRange(p *plot.Plot) (float64, float64) {
	lo, hi := p.Y.Min, p.Y.Max
	if lo > hi || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 1
	}
	return lo, hi
}

// epochTicks labels whole epochs only, at most about ten of them.
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	step := math.Max(1, math.Ceil((hi-lo+1)/10))
	var t []plot.Tick
	for i, x := 0, lo; x <= hi && i < 12; i, x = i+1, x+step { // i bounds the loop where x+step == x
		t = append(t, plot.Tick{Value: x, Label: fmt.Sprintf("%.0f", x)})
	}
	return t
}

// blankPlot fills an empty tile.
func blankPlot() *plot.Plot {
	p := plot.New()
	p.HideAxes()
	return p
}

// logTicks labels 1, 2 and 5 times each power of ten on a log axis, or
// only the powers of ten when the range spans more than span125 decades,
// with minor ticks at the other integers.
type logTicks struct{ span125 float64 }

func (l logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	wide := math.Log10(max/min) > l.span125
	var t []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			label := ""
			if m == 1 || (!wide && (m == 2 || m == 5)) {
				label = strconv.FormatFloat(v, 'g', 4, 64)
			}
			t = append(t, plot.Tick{Value: v, Label: label})
		}
	}
	return t
}

// plainTicks are gonum's default ticks with labels in the shortest form
// ("75", not "75.00").
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	t := plot.DefaultTicks{}.Ticks(min, max)
	for i := range t {
		if t[i].Label != "" {
			t[i].Label = strconv.FormatFloat(t[i].Value, 'g', 6, 64)
		}
	}
	return t
}
