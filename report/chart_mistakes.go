package report

import (
	"bytes"
	"fmt"
	"html"
)

// maxMistakes is the number of mistakes the report draws.
const maxMistakes = 24

// mistakesChart draws the most confident mistakes as a grid of digits,
// each pixel an SVG rect (only the non-background ones), with the true and
// predicted labels and the confidence under each. It is hand-written SVG
// rather than a gonum plot because it is a picture grid, not a chart.
func mistakesChart(p *prepared) chart {
	ms := p.Mistakes
	if len(ms) > maxMistakes {
		ms = ms[:maxMistakes]
	}
	const (
		scale  = 3
		cellW  = 28*scale + 16
		cellH  = 28*scale + 40
		perRow = 8
	)
	cols := min(perRow, len(ms))
	rows := (len(ms) + perRow - 1) / perRow
	w, h := cols*cellW, rows*cellH
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", w, h)
	for i, m := range ms {
		x0 := (i%perRow)*cellW + 8
		y0 := (i/perRow)*cellH + 6
		title := fmt.Sprintf("test image %d: true %d, predicted %d with %.1f %% confidence", m.Index, m.True, m.Pred, 100*m.Confidence)
		if m.Model != "" {
			title += " by " + m.Model
		}
		fmt.Fprintf(&b, `<g class="digit"><title>%s</title>`+"\n", html.EscapeString(title))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#ffffff" stroke="#d0d0d0"/>`+"\n", x0, y0, 28*scale, 28*scale)
		for py := 0; py < 28; py++ {
			for px := 0; px < 28; px++ {
				v := m.Pixels[py*28+px]
				if v == 0 {
					continue
				}
				g := 255 - int(v) // ink is dark on white paper
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#%02x%02x%02x"/>`, x0+px*scale, y0+py*scale, scale, scale, g, g, g)
			}
		}
		b.WriteByte('\n')
		cx := x0 + 14*scale
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12"><tspan fill="#006e3c">true %d</tspan> <tspan fill="#b23c00" font-weight="bold">→ %d</tspan></text>`+"\n", cx, y0+28*scale+15, m.True, m.Pred)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="10" fill="#555555">%.1f %% sure</text>`+"\n", cx, y0+28*scale+29, 100*m.Confidence)
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	models := map[string]bool{}
	for _, m := range ms {
		models[m.Model] = true
	}
	who := "the models"
	if len(models) == 1 {
		for k := range models {
			if k != "" {
				who = k
			}
		}
	}
	return chart{ID: "mistakes", Section: "mistakes", Title: "Most confident mistakes",
		Caption: fmt.Sprintf("The %d test images %s got wrong with the highest confidence: the true label, the prediction, and the probability given to it.", len(ms), who),
		SVG:     b.Bytes()}
}
