package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rakam-ml/rakam/results"
)

// printEpoch writes one progress line for a finished epoch.
func printEpoch(w io.Writer, total int, r results.Epoch) {
	fmt.Fprintf(w, "epoch %*d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1fs\n",
		len(fmt.Sprint(total)), r.Epoch, total, r.TrainLoss, r.TrainAccuracy, r.ValLoss, r.ValAccuracy, r.Seconds)
}

// printResult writes a model's test scores for people: the headline
// numbers, a per-class table and the confusion matrix (rows are true labels).
func printResult(w io.Writer, m *results.Model) {
	fmt.Fprintf(w, "\n%s: test accuracy %.4f, loss %.4f\n", m.Name, m.TestAccuracy, m.TestLoss)
	fmt.Fprintf(w, "macro precision %.4f  recall %.4f  F1 %.4f  (weighted F1 %.4f)\n",
		m.MacroPrecision, m.MacroRecall, m.MacroF1, m.WeightedF1)
	if m.TrainSeconds > 0 {
		fmt.Fprintf(w, "%d parameters, %d epochs in %.1fs\n", m.Params, m.Epochs, m.TrainSeconds)
	}
	fmt.Fprintf(w, "\nclass  precision  recall      f1  support\n")
	for _, c := range m.PerClass {
		fmt.Fprintf(w, "%5d  %9.4f  %6.4f  %6.4f  %7d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	fmt.Fprintf(w, "\nconfusion matrix (rows: true digit, columns: predicted)\n     ")
	for j := range m.Confusion {
		fmt.Fprintf(w, "%6d", j)
	}
	fmt.Fprintln(w)
	for i, row := range m.Confusion {
		fmt.Fprintf(w, "%5d", i)
		for _, v := range row {
			fmt.Fprintf(w, "%6d", v)
		}
		fmt.Fprintln(w)
	}
}

// writeJSON prints v as one indented JSON object followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// flagList renders name=value pairs for logs.
func flagList(kv ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%v=%v", kv[i], kv[i+1])
	}
	return b.String()
}
