package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	in := fixture()
	var b bytes.Buffer
	if err := Table(&b, in); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != len(in.Rows)+1 {
		t.Fatalf("Table wrote %d lines; want a header and %d rows:\n%s", len(lines), len(in.Rows), b.String())
	}
	for _, h := range []string{"model", "test acc", "precision", "recall", "F1", "test loss", "optimiser", "regularisation", "params", "epochs", "train s", "images/s", "seed reported"} {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header %q lacks %q", lines[0], h)
		}
	}
	for i, r := range in.Rows {
		if !strings.HasPrefix(lines[i+1], r.Name+" ") {
			t.Errorf("line %d = %q; want it to start with %s", i+1, lines[i+1], r.Name)
		}
	}
	// Columns line up: every line has the same width in runes.
	w := len([]rune(lines[0]))
	for i, l := range lines {
		if len([]rune(l)) != w {
			t.Errorf("line %d is %d runes wide; the header is %d:\n%s", i, len([]rune(l)), w, b.String())
		}
	}
	for _, want := range []string{"baseline-sgd  ", "91.80 %", "0.9185", "101,770", "90+ %", "dropout 0.25, augmentation", "—"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Table lacks %q:\n%s", want, b.String())
		}
	}
	if err := Table(&b, &Input{}); err != ErrNoRows {
		t.Errorf("Table(no rows) = %v; want ErrNoRows", err)
	}
}

func TestThousands(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {101770, "101,770"}, {1234567, "1,234,567"}, {-4500, "-4,500"}} {
		if got := thousands(tt.n); got != tt.want {
			t.Errorf("thousands(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}
