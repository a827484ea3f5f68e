package train

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rakam-ml/rakam/results"
)

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 3, 10, 32)
	p.startEpoch(1, 0, 0)
	start := time.Now().Add(-2 * time.Second)
	p.update(5, 0.5, 0.875, start, 160)
	line := buf.String()
	for _, want := range []string{"\repoch 2/3 [", "==========>", "] 5/10", "loss 0.5000", "acc 0.8750", " img/s ETA 0:02"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	buf.Reset()
	p.update(6, 0.5, 0.875, start, 192) // within 100 ms of the last draw
	if buf.Len() != 0 {
		t.Errorf("redrew within 100 ms: %q", buf.String())
	}
	p.update(10, 0.4, 0.9, start, 320) // the last batch is always drawn
	if !strings.Contains(buf.String(), "10/10") {
		t.Errorf("last batch not drawn: %q", buf.String())
	}
	buf.Reset()
	p.endEpoch(results.Epoch{Epoch: 2, TrainLoss: 0.4, TrainAccuracy: 0.9, ValLoss: 0.3, ValAccuracy: 0.91, LR: 0.001, Seconds: 2})
	if got := buf.String(); !strings.HasSuffix(got, "\n") || !strings.Contains(got, "val_acc 0.9100") {
		t.Errorf("epoch summary %q", got)
	}
	n := testing.AllocsPerRun(10, func() {
		p.last = time.Time{}
		p.update(7, 0.5, 0.875, start, 224)
	})
	if n != 0 {
		t.Errorf("a progress redraw allocates %v times; want 0", n)
	}
	if IsTerminal(&buf) {
		t.Error("IsTerminal(bytes.Buffer) = true")
	}
	var nilp *progress
	nilp.update(1, 0, 0, start, 1) // quiet: a nil progress does nothing
}

// TestIsTerminal: only a terminal counts, not every character device.
// /dev/null is one (Stat reports os.ModeCharDevice) but no terminal, so
// progress must not be drawn into it.
func TestIsTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if fi, err := devNull.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is not a character device (%v); the case below would prove nothing", os.DevNull, err)
	}
	if IsTerminal(devNull) {
		t.Errorf("IsTerminal(%s) = true; want false", os.DevNull)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Error("IsTerminal(a pipe) = true; want false")
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("IsTerminal(bytes.Buffer) = true; want false")
	}
	if IsTerminal((*os.File)(nil)) {
		t.Error("IsTerminal((*os.File)(nil)) = true; want false")
	}
	// A pseudo-terminal is a terminal (where the system has them).
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Logf("no pseudo-terminal to try: %v", err)
		return
	}
	defer ptmx.Close()
	if !IsTerminal(ptmx) {
		t.Error("IsTerminal(/dev/ptmx) = false; want true")
	}
}
