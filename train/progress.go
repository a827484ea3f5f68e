package train

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/term"

	"github.com/rakam-ml/rakam/results"
)

// IsTerminal reports whether w is a terminal, the test the CLI uses to keep
// progress lines and bars off pipes and files. It asks the terminal driver
// (golang.org/x/term), so /dev/null and other character devices that are
// not terminals count as files.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// progress draws one \r-updated line per epoch:
//
//	epoch 3/10 [=========>          ] 234/469 loss 0.1234 acc 0.9612 48211 img/s ETA 0:05
//
// It redraws at most every 100 ms and formats into a reused buffer, so it
// costs a training step nothing measurable and allocates nothing.
type progress struct {
	w                 io.Writer
	epochs, nb, batch int
	epoch, from       int
	seen0             int // examples of the epoch trained before startEpoch (a resumed run)
	last              time.Time
	buf               []byte
}

func newProgress(w io.Writer, epochs, nb, batch int) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, epochs: epochs, nb: nb, batch: batch, buf: make([]byte, 0, 256)}
}

func (p *progress) startEpoch(epoch, from, seen int) {
	if p == nil {
		return
	}
	p.epoch, p.from, p.seen0 = epoch, from, seen
	p.last = time.Time{}
}

const barWidth = 20

func (p *progress) update(done int, loss, acc float64, start time.Time, seen int) {
	if p == nil {
		return
	}
	now := time.Now()
	if done < p.nb && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	el := now.Sub(start).Seconds()
	ips := 0.0
	if el > 0 {
		ips = float64(seen-p.seen0) / el
	}
	b := append(p.buf[:0], "\repoch "...)
	b = strconv.AppendInt(b, int64(p.epoch+1), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(p.epochs), 10)
	b = append(b, " ["...)
	fill := done * barWidth / max(p.nb, 1)
	for i := 0; i < barWidth; i++ {
		switch {
		case i < fill:
			b = append(b, '=')
		case i == fill:
			b = append(b, '>')
		default:
			b = append(b, ' ')
		}
	}
	b = append(b, "] "...)
	b = strconv.AppendInt(b, int64(done), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(p.nb), 10)
	b = append(b, " loss "...)
	b = strconv.AppendFloat(b, loss, 'f', 4, 64)
	b = append(b, " acc "...)
	b = strconv.AppendFloat(b, acc, 'f', 4, 64)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(ips), 10)
	b = append(b, " img/s ETA "...)
	eta := 0
	if per := el / float64(max(done-p.from, 1)); done > p.from {
		eta = int(per*float64(p.nb-done) + 0.5)
	}
	b = strconv.AppendInt(b, int64(eta/60), 10)
	b = append(b, ':')
	if eta%60 < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(eta%60), 10)
	b = append(b, "\x1b[K"...) // clear the rest of the line
	p.buf = b
	p.w.Write(b)
}

// endEpoch replaces the line with the epoch's summary and moves on.
func (p *progress) endEpoch(e results.Epoch) {
	if p == nil {
		return
	}
	fmt.Fprintf(p.w, "\repoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.3g  %.1fs\x1b[K\n",
		e.Epoch, p.epochs, e.TrainLoss, e.TrainAccuracy, e.ValLoss, e.ValAccuracy, e.LR, e.Seconds)
}

func (p *progress) clear() {
	if p == nil {
		return
	}
	io.WriteString(p.w, "\r\x1b[K")
}
