package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rakam-ml/rakam/results"
)

// column is one column of the comparison table, shared by the terminal,
// Markdown and HTML forms so the three always agree.
type column struct {
	head    string
	numeric bool // right-aligned
	cell    func(p *prepared, r *results.Model) string
}

const dash = "—"

var tableColumns = []column{
	{"model", false, func(_ *prepared, r *results.Model) string { return r.Name }},
	{"test acc", true, func(_ *prepared, r *results.Model) string { return pct(r.TestAccuracy) }},
	{"precision", true, func(_ *prepared, r *results.Model) string { return fmt.Sprintf("%.4f", r.MacroPrecision) }},
	{"recall", true, func(_ *prepared, r *results.Model) string { return fmt.Sprintf("%.4f", r.MacroRecall) }},
	{"F1", true, func(_ *prepared, r *results.Model) string { return fmt.Sprintf("%.4f", r.MacroF1) }},
	{"test loss", true, func(_ *prepared, r *results.Model) string { return fmt.Sprintf("%.4f", r.TestLoss) }},
	{"optimiser", false, func(_ *prepared, r *results.Model) string { return orDash(r.Optimizer) }},
	{"regularisation", false, func(_ *prepared, r *results.Model) string { return orNone(r.Regularization) }},
	{"params", true, func(_ *prepared, r *results.Model) string { return thousands(r.Params) }},
	{"epochs", true, func(_ *prepared, r *results.Model) string { return strconv.Itoa(epochsRun(r)) }},
	{"train s", true, func(_ *prepared, r *results.Model) string { return seconds(r.TrainSeconds) }},
	{"images/s", true, func(_ *prepared, r *results.Model) string {
		if r.ImagesPerSecond <= 0 {
			return dash
		}
		return thousands(int(math.Round(r.ImagesPerSecond)))
	}},
	{"seed reported", true, func(p *prepared, r *results.Model) string { return orDash(p.SeedReported[r.Name]) }},
}

// Table writes the comparison table as aligned plain text, one row per
// model in Input order, for the terminal. Columns: model, test accuracy,
// macro precision, recall and F1, test loss, optimiser, regularisation,
// parameters, epochs run, training seconds, training images per second,
// and the accuracy the seed study reported for that row.
func Table(w io.Writer, in *Input) error {
	p, err := prepare(in)
	if err != nil {
		return err
	}
	return writeTextTable(w, p)
}

func writeTextTable(w io.Writer, p *prepared) error {
	cells := make([][]string, len(p.Rows)+1)
	cells[0] = make([]string, len(tableColumns))
	for j, c := range tableColumns {
		cells[0][j] = c.head
	}
	for i := range p.Rows {
		cells[i+1] = make([]string, len(tableColumns))
		for j, c := range tableColumns {
			cells[i+1][j] = c.cell(p, &p.Rows[i])
		}
	}
	widths := make([]int, len(tableColumns))
	for _, row := range cells {
		for j, s := range row {
			widths[j] = max(widths[j], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		for j, s := range row {
			pad := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(s))
			if j > 0 {
				b.WriteString("  ")
			}
			switch {
			case tableColumns[j].numeric:
				b.WriteString(pad + s)
			case j == len(row)-1:
				b.WriteString(s)
			default:
				b.WriteString(s + pad)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownTable(b *strings.Builder, p *prepared) {
	for _, c := range tableColumns {
		b.WriteString("| " + c.head + " ")
	}
	b.WriteString("|\n")
	for _, c := range tableColumns {
		if c.numeric {
			b.WriteString("|---:")
		} else {
			b.WriteString("|---")
		}
	}
	b.WriteString("|\n")
	for i := range p.Rows {
		r := &p.Rows[i]
		for _, c := range tableColumns {
			s := mdEscape(c.cell(p, r))
			if r.Name == p.Best && c.head == "model" {
				s = "**" + s + "**"
			}
			b.WriteString("| " + s + " ")
		}
		b.WriteString("|\n")
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func pct(x float64) string { return fmt.Sprintf("%.2f %%", 100*x) }

func orDash(s string) string {
	if s == "" {
		return dash
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func seconds(s float64) string {
	switch {
	case s <= 0:
		return dash
	case s < 10:
		return fmt.Sprintf("%.2f", s)
	case s < 100:
		return fmt.Sprintf("%.1f", s)
	}
	return thousands(int(math.Round(s)))
}

// thousands formats n with a thin separator every three digits: 101,770.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
