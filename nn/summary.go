package nn

import (
	"fmt"
	"strconv"
	"strings"
)

// SummaryRow describes one layer of a model, as in Keras' model.summary().
type SummaryRow struct {
	Index    int    `json:"index"`
	Kind     string `json:"kind"`
	OutShape []int  `json:"out_shape"` // per example
	Params   int    `json:"params"`    // trainable values
	State    int    `json:"state"`     // non-trainable saved values (BatchNorm running statistics)
	FLOPs    int64  `json:"flops"`     // forward, per example, multiply-add = 2
}

// Summary returns one row per layer.
func (m *Sequential) Summary() []SummaryRow {
	rows := make([]SummaryRow, len(m.Layers))
	for i, l := range m.Layers {
		r := SummaryRow{Index: i, Kind: l.Kind(), OutShape: append([]int(nil), m.shapes[i+1]...), FLOPs: l.FLOPs(m.shapes[i])}
		for _, p := range l.Params() {
			r.Params += p.Value.Len()
		}
		for _, p := range l.State() {
			r.State += p.Value.Len()
		}
		rows[i] = r
	}
	return rows
}

// String renders the summary as an aligned text table with totals:
//
//	#   layer      output       params   FLOPs/image
//	0   Dense      (128)        100,480  200,832
//	...
func (m *Sequential) String() string {
	var b strings.Builder
	rows := m.Summary()
	cells := [][]string{{"#", "layer", "output", "params", "FLOPs/image"}}
	cells = append(cells, []string{"", "input", shapeString(m.shapes[0]), "", ""})
	for _, r := range rows {
		kind := r.Kind
		if r.Kind == "Dropout" {
			kind += fmt.Sprintf("(%g)", m.Layers[r.Index].(*Dropout).Rate)
		}
		cells = append(cells, []string{strconv.Itoa(r.Index), kind, shapeString(r.OutShape), commas(int64(r.Params)), commas(r.FLOPs)})
	}
	width := make([]int, len(cells[0]))
	for _, row := range cells {
		for j, c := range row {
			width[j] = max(width[j], len(c))
		}
	}
	for _, row := range cells {
		var line strings.Builder
		for j, c := range row {
			if j >= 3 {
				fmt.Fprintf(&line, "%*s", width[j], c)
			} else {
				fmt.Fprintf(&line, "%-*s", width[j], c)
			}
			if j < len(row)-1 {
				line.WriteString("  ")
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "trainable params: %s; non-trainable (BatchNorm statistics): %s; forward FLOPs/image: %s\n",
		commas(int64(m.NumParams())), commas(int64(m.NumState())), commas(m.FLOPs()))
	return b.String()
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
