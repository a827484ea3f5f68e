package train

import (
	"bytes"
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
