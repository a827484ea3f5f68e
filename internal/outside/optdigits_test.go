package outside_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/internal/outside"
	"github.com/rakam-ml/rakam/internal/outside/outsidetest"
)

// gz compresses text.
func gz(t *testing.T, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// optLine is one digit of the file: cells counts (row-major), then label.
func optLine(cells [64]int, label string) string {
	var b strings.Builder
	for _, v := range cells {
		b.WriteString(strconv.Itoa(v))
		b.WriteByte(',')
	}
	b.WriteString(label)
	return b.String()
}

// TestReadOptdigits checks the rendering on a two-digit file: a 96x96
// PNG each, labels kept, a full cell black at its centre, an empty one and
// the margin white, half a cell's count mid-grey, and the names.
func TestReadOptdigits(t *testing.T) {
	var a, b [64]int
	a[3*8+4] = 16 // row 3, column 4: fully inked
	a[5*8+1] = 8  // half
	b[0] = 16
	data := gz(t, "\n"+optLine(a, "7")+"\n"+optLine(b, "0")+"\n")
	set, err := outside.ReadOptdigits(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 2 || set[0].Label != 7 || set[1].Label != 0 {
		t.Fatalf("got %d samples; want labels 7 and 0", len(set))
	}
	if set[0].Name != "7_optdigits_0000.png" || set[1].Name != "0_optdigits_0001.png" {
		t.Errorf("names %q, %q", set[0].Name, set[1].Name)
	}
	img, err := png.Decode(bytes.NewReader(set[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 96, 96) {
		t.Fatalf("image is %v; want 96x96", img.Bounds())
	}
	at := func(cx, cy int) uint8 { // the centre of cell (cx, cy) of the frame, margin included
		return color.GrayModel.Convert(img.At(cx*8+4, cy*8+4)).(color.Gray).Y
	}
	if v := at(2+4, 2+3); v > 40 {
		t.Errorf("a full cell's centre is %d; want near 0 (black ink)", v)
	}
	if v := at(2+1, 2+5); v < 90 || v > 170 {
		t.Errorf("a half-full cell's centre is %d; want mid-grey", v)
	}
	if v := at(0, 0); v != 255 {
		t.Errorf("the margin is %d; want white", v)
	}
	if v := at(2+6, 2+6); v != 255 {
		t.Errorf("an empty cell far from ink is %d; want white", v)
	}
}

// TestReadOptdigitsErrors checks that each kind of bad file is an error
// naming what is wrong, and where.
func TestReadOptdigitsErrors(t *testing.T) {
	var cells [64]int
	good := optLine(cells, "3")
	bad17 := strings.Replace(good, "0,", "17,", 1)
	full := gz(t, good+"\n"+good+"\n")
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", []byte("0,0,0\n"), "not a gzip"},
		{"plain CSV", []byte(good + "\n"), "not a gzip"},
		{"cut short", full[:len(full)-12], "after line"},
		{"empty", gz(t, "\n\n"), "no digits"},
		{"too few fields", gz(t, good+"\n1,2,3\n"), "line 2: 3 fields"},
		{"count over 16", gz(t, bad17+"\n"), `line 1, cell 1: "17"`},
		{"not a number", gz(t, strings.Replace(good, "0,", "x,", 1)+"\n"), `line 1, cell 1: "x"`},
		{"label 10", gz(t, strings.TrimSuffix(good, "3")+"10\n"), `label "10"`},
	} {
		_, err := outside.ReadOptdigits(bytes.NewReader(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want one containing %q", c.name, err, c.want)
		}
	}
}

// TestReadOptdigitsFileErrors checks that a missing file is an
// os.ErrNotExist and that a corrupt one's error names the file.
func TestReadOptdigitsFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := outside.ReadOptdigitsFile(filepath.Join(dir, "absent.csv.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v; want os.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "digits.csv.gz")
	if err := os.WriteFile(bad, []byte("0,0,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := outside.ReadOptdigitsFile(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "not a gzip") {
		t.Errorf("corrupt file: error %v; want one naming %s and what is wrong", err, bad)
	}
}

// TestReadOptdigitsFile reads the file Debian's python3-sklearn installs
// (.ci/run installs it): 1,797 digits, each label 174 to 183 times.
func TestReadOptdigitsFile(t *testing.T) {
	set := outsidetest.Optdigits(t)
	var n [10]int
	for _, s := range set {
		n[s.Label]++
	}
	if len(set) != 1797 {
		t.Errorf("%d digits; want 1797", len(set))
	}
	for l, c := range n {
		if c < 174 || c > 183 {
			t.Errorf("label %d: %d digits; want 174..183", l, c)
		}
	}
}
